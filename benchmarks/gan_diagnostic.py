"""Does the PatchGAN learn? Train it alone to tell real training crops from a model's reconstructions.

    python benchmarks/gan_diagnostic.py [--model small-4] [--data ../shared/data] [--steps 150] [--channels 16]

The reconstructions are fixed (the model is not trained), so this isolates the discriminator: its loss after
``--steps`` Adam steps (betas 0.5, 0.999, batch 16 real + 16 reconstructed 64x64 crops) at the paper's learning
rate and at pix2pix's, with real and fake in separate batches (as ``vqdeepsc train``) or in one. ln 2 = 0.693 is
chance; the eval-mode patch accuracy is measured on the first 20 batches.
"""

import argparse

import torch

from vqdeepsc.data import ImageDataset, split_files
from vqdeepsc.zoo import resolve_model
from vqdeepsc.losses import discriminator_loss
from vqdeepsc.models.discriminator import PatchDiscriminator


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="small-4")
    parser.add_argument("--data", default="../shared/data")
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--channels", type=int, default=16)
    args = parser.parse_args()
    torch.manual_seed(0)
    model, _ = resolve_model(args.model)
    ds = ImageDataset(split_files(args.data, "train")[:800], 64, train=True, cache=True)
    batches = []
    for _ in range(args.steps):
        x = torch.stack([ds[int(i)] for i in torch.randint(len(ds), (16,))])
        with torch.no_grad():
            batches.append((x, model.decode(model.encode(x))))
    print(f"| discriminator lr | real and fake | loss_d, steps 1-10 | loss_d, last 10 steps | patch accuracy |")
    print("|---|---|---|---|---|")
    for lr, joint in ((1e-5, False), (2e-4, False), (2e-4, True)):
        torch.manual_seed(1)
        disc = PatchDiscriminator(args.channels)
        opt = torch.optim.Adam(disc.parameters(), lr, betas=(0.5, 0.999))
        trace = []
        for x, y in batches:
            if joint:
                logits = disc(torch.cat([x, y]))
                loss = discriminator_loss(logits[:len(x)], logits[len(x):])
            else:
                loss = discriminator_loss(disc(x), disc(y))
            opt.zero_grad()
            loss.backward()
            opt.step()
            trace.append(loss.item())
        disc.eval()
        with torch.no_grad():
            real, fake = (torch.cat(t) for t in zip(*batches[:20]))
            accuracy = ((disc(real) > 0).float().mean() + (disc(fake) < 0).float().mean()).item() / 2
        print(f"| {lr:g} | {'one batch' if joint else 'separate batches'} | {sum(trace[:10]) / 10:.3f} "
              f"| {sum(trace[-10:]) / 10:.3f} | {accuracy:.3f} |")


if __name__ == "__main__":
    main()
