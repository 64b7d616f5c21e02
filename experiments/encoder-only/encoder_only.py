"""Scratch: fine-tune only the encoder of a model (decoder + codebooks frozen) on the distortion of its decoded image."""
import sys, time, torch
from torch.utils.data import DataLoader
from vqdeepsc import zoo
from vqdeepsc.checkpoint import save_model
from vqdeepsc.data import ImageDataset, collate_images, split_files
from vqdeepsc.index_search import distortion
from vqdeepsc.metrics import ssim, psnr
torch.set_num_threads(1); torch.manual_seed(0)
model = zoo.load(sys.argv[1]); epochs = float(sys.argv[2]); lr = float(sys.argv[3]); beta = float(sys.argv[4])
model.requires_grad_(False); model.encoder.requires_grad_(True)
train = ImageDataset(split_files("/work/shared/data", "train"), 64, train=True, cache=True)
val = ImageDataset(split_files("/work/shared/data", "val"), 128, cache=True)
def validate():
    model.eval(); s=[]; p=[]
    with torch.no_grad():
        for x, _ in DataLoader(val, 64, collate_fn=collate_images):
            y = model.decode(model.encode(x)); s.append(ssim(y, x)); p.append(psnr(y, x))
    return torch.cat(s).mean().item(), torch.cat(p).mean().item()
print("start", validate(), flush=True)
opt = torch.optim.Adam(model.encoder.parameters(), lr)
steps = int(epochs * len(train) // 16); step = 0; t = time.time()
while step < steps:
    for x, _ in DataLoader(train, 16, shuffle=True, collate_fn=collate_images, drop_last=True):
        model.train(); model.embedding_spaces.eval()
        feats = model.encoder(x); received = [None] * 4; commit = 0
        for space, l in zip(model.embedding_spaces, model.preset.transmitted):
            i = space.quantize(feats[l]); e = space.features(i)
            received[l] = e + feats[l] - feats[l].detach(); commit = commit + (feats[l] - e).pow(2).mean()
        model.decoder.eval()
        y = model.decoder(received)
        loss = distortion(y, x).mean() + beta * commit
        for g in opt.param_groups: g["lr"] = lr * 0.5 * (1 + torch.cos(torch.tensor(step / steps * 3.14159)).item())
        opt.zero_grad(); loss.backward(); opt.step(); step += 1
        if step % 209 == 0 or step == steps:
            print(step, round(time.time() - t), validate(), flush=True)
        if step >= steps: break
save_model(model, sys.argv[5])
