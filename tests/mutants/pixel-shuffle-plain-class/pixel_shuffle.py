from einops import rearrange


def pixel_shuffle(x, upscale_factor):
    return rearrange(x, "... (c h2 w2) h w -> ... c (h h2) (w w2)", h2=upscale_factor, w2=upscale_factor)


class PixelShuffle:
    """Callable like a layer."""

    def __init__(self, upscale_factor):
        self.upscale_factor = upscale_factor

    def __call__(self, x):
        return pixel_shuffle(x, self.upscale_factor)
