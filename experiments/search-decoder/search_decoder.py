"""Probe: fine-tune small-4's decoder on the indices the transmitter's index search sends (encoder, codebooks and
BatchNorm statistics frozen), then measure on validation tiles with and without the search.

    python experiments/search-decoder/search_decoder.py TILES EPOCHS LR
"""
import sys, time, torch
from torch.utils.data import DataLoader
from vqdeepsc import zoo
from vqdeepsc.data import ImageDataset, collate_images, split_files
from vqdeepsc.index_search import IndexSearch, distortion
from vqdeepsc.metrics import ssim, psnr

torch.manual_seed(0)
tiles, epochs, lr = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
model = zoo.load("small-4").eval().requires_grad_(False)
files = split_files("/work/shared/data", "train")
train = next(iter(DataLoader(ImageDataset(files[::len(files) // tiles][:tiles], 128), tiles, collate_fn=collate_images)))[0]
val_files = split_files("/work/shared/data", "val")
val = next(iter(DataLoader(ImageDataset(val_files[::len(val_files) // 86][:86], 128), 86, collate_fn=collate_images)))[0]
search = IndexSearch(20)


def score(codes, x):
    with torch.no_grad():
        y = model.decode(codes)
    return round(ssim(y, x).mean().item(), 4), round(psnr(y, x).mean().item(), 2)


t = time.time()
print("before: val nearest", score(model.encode(val), val), "val search", score(search(model, val), val), flush=True)
codes = search(model, train)
print(f"searched {tiles} training tiles in {time.time() - t:.0f} s", flush=True)
model.decoder.requires_grad_(True)
opt = torch.optim.Adam(model.decoder.parameters(), lr)
for epoch in range(epochs):
    order = torch.randperm(tiles)
    for start in range(0, tiles - 15, 16):
        i = order[start:start + 16]
        loss = distortion(model.decode([c[i] for c in codes]), train[i]).mean()
        opt.zero_grad(); loss.backward(); opt.step()
    print(f"epoch {epoch + 1}: train loss {loss.item():.4f}", flush=True)
model.decoder.requires_grad_(False)
print("after: val nearest", score(model.encode(val), val), "val search (against the new decoder)",
      score(search(model, val), val), f"{time.time() - t:.0f} s", flush=True)
