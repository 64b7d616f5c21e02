"""Probe (on `small-4-sixth/`): teach small-4's encoder the indices the transmitter's index search sends, so that the
nearest codewords (eq. 2, no search at the transmitter) carry part of the search's gain ("amortised search").

    python search_encoder.py search PART PARTS TILES OUT   # IndexSearch(20) on part PART of TILES training tiles
    python search_encoder.py train TILES EPOCHS LR OUT      # then the encoder alone, cross-entropy to those indices

The encoder's features at each transmitted scale give logits -||z - e_n||^2 over the (frozen) codewords; the loss is
their cross-entropy to the searched codeword, averaged per scale and summed over the scales. Decoder, codebooks and
every BatchNorm's statistics stay frozen. Reports, before and after, the agreement of the nearest codewords with the
search (training tiles) and the val SSIM / PSNR with the nearest codewords (all 344 val tiles) and with a 20-step
search (86 tiles). Data: ../shared/data from the repository's root (VQDEEPSC_DATA overrides it).
"""
import os, sys, time
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader
from vqdeepsc import zoo
from vqdeepsc.checkpoint import save_model
from vqdeepsc.data import ImageDataset, collate_images, split_files
from vqdeepsc.index_search import IndexSearch
from vqdeepsc.metrics import psnr, ssim

torch.manual_seed(0)
DATA = os.environ.get("VQDEEPSC_DATA", "../shared/data")
model = zoo.load("small-4").eval().requires_grad_(False)
spaces, scales = model.embedding_spaces, model.preset.transmitted


def tiles_of(split, n):
    files = split_files(DATA, split)
    files = files[::max(1, len(files) // n)][:n] if n else files
    return next(iter(DataLoader(ImageDataset(files, 128), len(files), collate_fn=collate_images)))[0]


def codewords_of(labels):
    """Index labels (what encode and the search return) -> codeword indices."""
    return [torch.argsort(order)[l] for order, l in zip(model.index_labels(), labels)]


def nearest(x):
    with torch.no_grad():
        feats = model.encoder(x)
        return [space.quantize(feats[l]) for space, l in zip(spaces, scales)]


def agreement(x, targets):
    return [round((a == b).float().mean().item(), 4) for a, b in zip(nearest(x), targets)]


def quality(x, labels):
    with torch.no_grad():
        y = model.decode(labels)
    return round(ssim(y, x).mean().item(), 4), round(psnr(y, x).mean().item(), 2)


if sys.argv[1] == "search":
    part, parts, tiles, out = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    x = tiles_of("train", tiles)[part::parts]
    t = time.time()
    torch.save(codewords_of(IndexSearch(20)(model, x)), out)
    print(f"searched {len(x)} tiles in {time.time() - t:.0f} s", flush=True)
    sys.exit()

tiles, epochs, lr, out = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
x = tiles_of("train", tiles)
parts = [torch.load(f"{out}.part{k}.pt") for k in range(2)]
targets = [torch.empty(len(x), *a.shape[1:], dtype=a.dtype) for a in parts[0]]
for k, part in enumerate(parts):
    for t, p in zip(targets, part):
        t[k::2] = p
val_all, val86 = tiles_of("val", 0), tiles_of("val", 86)


def report(tag):
    search86 = IndexSearch(20)(model, val86)
    print(tag, "train agreement", agreement(x, targets), "val nearest", quality(val_all, model.encode(val_all)),
          "val86 nearest", quality(val86, model.encode(val86)), "val86 search", quality(val86, search86), flush=True)


report("before:")
model.encoder.requires_grad_(True)
opt = torch.optim.Adam(model.encoder.parameters(), lr)
steps, step, t = epochs * (len(x) // 16), 0, time.time()
for epoch in range(epochs):
    order = torch.randperm(len(x))
    for start in range(0, len(x) - 15, 16):
        i = order[start:start + 16]
        feats = model.encoder(x[i])
        loss = 0
        for space, l, target in zip(spaces, scales, targets):
            f = feats[l].permute(0, 2, 3, 1)
            logits = -(f[..., None, :] - space.codewords().detach()).pow(2).sum(-1)
            loss = loss + F.cross_entropy(logits.permute(0, 3, 1, 2), target[i])
        for g in opt.param_groups:
            g["lr"] = lr * 0.5 * (1 + torch.cos(torch.tensor(step / steps * torch.pi)).item())
        opt.zero_grad(); loss.backward(); opt.step(); step += 1
    print(f"epoch {epoch + 1}: loss {loss.item():.4f}, {time.time() - t:.0f} s", flush=True)
model.encoder.requires_grad_(False)
report("after:")
save_model(model, f"{out}.safetensors")
