"""Realistic student notebooks for the tests, written with nbformat.

`colab_notebook` is what a student's Colab notebook looks like at the end of
the practical: shell magics, imports that exist only on Colab, data loading,
training loops and plots at top level, a first attempt redefined later, a
cell that crashes when run, and the three parts' solutions (the reference
code) somewhere in between.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
from nbformat import v4

from tests.conftest import REFERENCE


def solution(name: str) -> str:
    """A reference file without its docstring and solution markers, as a student would paste it."""
    text = (REFERENCE / name).read_text(encoding="utf-8")
    text = re.sub(r'^""".*?"""\n', "", text, count=1, flags=re.S)
    return "\n".join(line for line in text.splitlines() if "SOLUTION" not in line).strip() + "\n"


SETUP = """\
!pip install -q einops
%matplotlib inline"""

IMPORTS = """\
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms
import matplotlib.pyplot as plt
from sklearn.manifold import TSNE
from einops import rearrange
from google.colab import drive

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
BATCH_SIZE = 64
FEATURES = 32 * 7 * 7"""

DATA = """\
drive.mount('/content/drive')
train_data = datasets.MNIST(root="data", train=True, download=True, transform=transforms.ToTensor())
test_data = datasets.MNIST(root="data", train=False, download=True, transform=transforms.ToTensor())
train_loader = DataLoader(train_data, batch_size=BATCH_SIZE, shuffle=True)
test_loader = DataLoader(test_data, batch_size=500)"""

FIRST_ATTEMPT = """\
class CNN(nn.Module):  # first try: no pooling, wrong sizes
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 5)
        self.out = nn.Linear(16 * 24 * 24, 10)

    def forward(self, x):
        x = self.conv1(x)
        return self.out(x.flatten(1))"""

TRAINING = """\
cnn = CNN().to(device)
optimizer = torch.optim.AdamW(cnn.parameters(), lr=1e-3)
loss_fn = nn.CrossEntropyLoss()
for epoch in range(1):
    for step, (x, y) in enumerate(train_loader):
        logits, _ = cnn(x.to(device))
        loss = loss_fn(logits, y.to(device))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 100 == 0:
            print(epoch, step, loss.item())"""

EVALUATE = """\
def accuracy(model, loader=test_loader):
    correct = 0
    for x, y in loader:
        correct += (model(x.to(device))[0].argmax(1).cpu() == y).sum().item()
    return correct / len(loader.dataset)


@torch.no_grad()
def embed(model, images, on=device):
    return model(images.to(on))[1].cpu()"""

TSNE_PLOT = """\
x, y = next(iter(test_loader))
points = TSNE(n_components=2, perplexity=30, init="pca", max_iter=5000, random_state=42).fit_transform(embed(cnn, x))
plt.figure(figsize=(8, 8))
for (px, py), label in zip(points, y):
    plt.text(px, py, str(label.item()), color=plt.cm.tab10(label.item()))
plt.title(f"accuracy {accuracy(cnn):.3f}")
plt.show()"""

SR_TRAINING = """\
%%time
net = SuperResolutionNet(upscale_factor=3).to(device)
print(net(torch.rand(1, 1, 32, 32, device=device)).shape)"""

SHUFFLE_FIRST_TRY = """\
def pixel_shuffle(x, upscale_factor):  # placeholder until the einops version works
    return F.pixel_shuffle(x, upscale_factor)"""

CRASHES = """\
x = torch.randn(2, 18, 5, 5)
assert torch.equal(pixel_shuffle(x, 3), F.pixel_shuffle(x, 3))
result = undefined_variable + 1
1 / 0"""


def colab_notebook(cnn: str | None = None, srnet: str | None = None, shuffle: str | None = None) -> nbformat.NotebookNode:
    """The realistic notebook; each part's cell may be replaced (e.g. by one with a syntax error)."""
    cells = [
        v4.new_markdown_cell("# Intro to CNNs in PyTorch\nMy solutions, run on Colab."),
        v4.new_code_cell(SETUP),
        v4.new_code_cell(IMPORTS),
        v4.new_code_cell(DATA),
        v4.new_markdown_cell("## Part 1: a CNN for MNIST"),
        v4.new_code_cell(FIRST_ATTEMPT),
        v4.new_code_cell(cnn if cnn is not None else solution("cnn.py")),
        v4.new_code_cell(TRAINING),
        v4.new_code_cell(EVALUATE),
        v4.new_code_cell(TSNE_PLOT),
        v4.new_markdown_cell("## Part 2: super-resolution"),
        v4.new_code_cell(srnet if srnet is not None else solution("srnet.py")),
        v4.new_code_cell(SR_TRAINING),
        v4.new_markdown_cell("## Part 3: PixelShuffle with einops"),
        v4.new_code_cell(SHUFFLE_FIRST_TRY),
        v4.new_code_cell(shuffle if shuffle is not None else solution("pixel_shuffle.py")),
        v4.new_code_cell(CRASHES),
        v4.new_code_cell("%%bash\nnvidia-smi\nls -la"),
        v4.new_code_cell("cnn?\n!nvidia-smi\nfiles = !ls"),
    ]
    for index, cell in enumerate(cells):
        cell["id"] = f"cell-{index + 1}"  # fixed ids: the fixture file stays the same when rewritten
    notebook = v4.new_notebook(cells=cells)
    notebook.metadata.update(
        {"colab": {"provenance": []}, "kernelspec": {"name": "python3", "display_name": "Python 3"},
         "language_info": {"name": "python"}, "accelerator": "GPU"}  # fmt: skip
    )
    return notebook


def write_notebook(notebook: nbformat.NotebookNode, path: Path) -> Path:
    nbformat.write(notebook, str(path))
    return path


if __name__ == "__main__":  # rewrites the committed fixture: python -m tests.notebooks
    write_notebook(colab_notebook(), Path(__file__).parent / "fixtures" / "submissions" / "crashes.ipynb")
