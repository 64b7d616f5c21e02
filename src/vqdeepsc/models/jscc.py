"""Analog deep joint source-channel coding, VQ-DeepSC's rival: Deep-JSCC (Bourtsoulatze, Kurka, Gunduz 2019), whose
encoder's outputs are the complex channel symbols themselves (no quantization, no bits, no channel code), with the
SNR-adaptive attention modules of ADJSCC (Xu et al. 2021) when trained over a range of SNRs.

The channel is :mod:`vqdeepsc.link.channel`'s ``y = h x + w`` (the same Es/N0 convention, fading and generators as
the digital link); the receiver knows ``h`` and equalizes by linear MMSE
(:func:`~vqdeepsc.link.channel.mmse_equalize`) before the decoder.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ..config import AnalogPreset
from ..link.channel import FlatFadingChannel, mmse_equalize, parse_channel
from .blocks import check_image_batch

SNR_SCALE = 20.0
"""The attention modules see ``SNR / SNR_SCALE`` (dB), values of order 1."""


def conv5x5(in_channels: int, out_channels: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_channels, out_channels, 5, stride=stride, padding=2)


class SNRAttention(nn.Module):
    """ADJSCC's attention-feature module: channel weights in (0, 1) from the features' spatial means and the SNR.

    :input x: [B, C, H, W]
    :input snr_db: [B]
    :output y: [B, C, H, W]
    """

    def __init__(self, channels: int):
        super().__init__()
        self.weights = nn.Sequential(nn.Linear(channels + 1, channels // 4 + 1), nn.ReLU(),
                                     nn.Linear(channels // 4 + 1, channels), nn.Sigmoid())

    def forward(self, x: Tensor, snr_db: Tensor) -> Tensor:
        context = torch.cat([x.mean((2, 3)), snr_db[:, None].to(x.dtype) / SNR_SCALE], 1)
        return x * self.weights(context)[:, :, None, None]


class Stage(nn.Module):
    """A layer (conv or transposed conv) -> PReLU -> SNR attention (only in an SNR-adaptive model).

    :input x: [B, C_in, H, W]
    :input snr_db: [B]
    :output y: [B, C_out, H', W']
    """

    def __init__(self, layer: nn.Module, channels: int, adaptive: bool):
        super().__init__()
        self.layer, self.act = layer, nn.PReLU(channels)
        self.attention = SNRAttention(channels) if adaptive else None

    def forward(self, x: Tensor, snr_db: Tensor) -> Tensor:
        x = self.act(self.layer(x))
        return self.attention(x, snr_db) if self.attention is not None else x


class DeepJSCC(nn.Module):
    """Encoder -> ``S`` complex symbols of unit average power per image -> channel -> MMSE -> decoder.

    The encoder (5x5 convolutions and PReLU: ``len(widths)`` stride-2 stages, ``depth`` stride-1 layers, a last
    convolution to ``latent_channels``) gives ``latent_channels x H/2^L x W/2^L`` real values; their first
    ``2 S`` (channel-major) are the real and imaginary parts of the ``S`` symbols, the rest are not sent (the
    decoder sees zeros there). Power is normalised per image, so every image has exactly unit average energy per
    symbol, as the evaluation's Es/N0 assumes.

    :param preset: an :class:`~vqdeepsc.config.AnalogPreset`.

    :input images: [B, 3, H, W] in [0, 1], H and W multiples of ``2 ** len(widths)``.
    :output (forward, training): dict with ``x_hat`` [B, 3, H, W], through one of the preset's channels (drawn per
        batch) at SNRs drawn uniformly from its range per image, from torch's global generator.
    """

    def __init__(self, preset: AnalogPreset):
        super().__init__()
        self.preset = preset
        adaptive, widths, c = preset.adaptive, preset.widths, preset.latent_channels
        ins = (3, *widths[:-1])
        self.encoder = nn.ModuleList(
            [Stage(conv5x5(i, o, 2), o, adaptive) for i, o in zip(ins, widths)]
            + [Stage(conv5x5(widths[-1], widths[-1]), widths[-1], adaptive) for _ in range(preset.depth)])
        self.to_symbols = conv5x5(widths[-1], c)
        self.from_symbols = Stage(conv5x5(c, widths[-1]), widths[-1], adaptive)
        outs = (*widths[-2::-1], widths[0])
        self.decoder = nn.ModuleList(
            [Stage(conv5x5(widths[-1], widths[-1]), widths[-1], adaptive) for _ in range(preset.depth)]
            + [Stage(nn.ConvTranspose2d(i, o, 5, 2, padding=2, output_padding=1), o, adaptive)
               for i, o in zip(widths[::-1], outs)])
        self.to_image = nn.Sequential(conv5x5(widths[0], 3), nn.Sigmoid())
        self.channels = [parse_channel(spec) for spec in preset.channels]

    def check_images(self, images: Tensor) -> None:
        """``ValueError`` unless ``images`` is a float [B, 3, H, W] batch with H, W positive multiples of 2^L."""
        check_image_batch(images, self.preset)

    def _snr(self, snr_db, batch: int, device) -> Tensor:
        """[B] SNRs the attention modules see: the given ones (adaptive), else the preset's training SNR."""
        if not self.preset.adaptive:
            snr_db = self.preset.snr_db[0]
        return torch.as_tensor(snr_db, dtype=torch.float32, device=device).expand(batch)

    def encode(self, images: Tensor, snr_db: float | Tensor | None = None) -> Tensor:
        """The channel symbols ``x`` [B, S], ``torch.complex64``, ``mean |x|^2 = 1`` per image; ``snr_db`` (a float
        or [B]) is what an adaptive encoder is told (``None``: the top of its training range)."""
        self.check_images(images)
        snr = self._snr(self.preset.snr_db[1] if snr_db is None else snr_db, len(images), images.device)
        z = images
        for stage in self.encoder:
            z = stage(z, snr)
        s = self.preset.symbols_for(images.shape[2], images.shape[3])
        z = self.to_symbols(z).flatten(1)[:, :2 * s].float().view(len(images), s, 2)
        x = torch.complex(z[..., 0], z[..., 1])
        return x * x.abs().square().mean(1, keepdim=True).rsqrt()

    def decode(self, x_hat: Tensor, height: int, width: int, snr_db: float | Tensor | None = None) -> Tensor:
        """Images [B, 3, height, width] from equalized symbols ``x_hat`` [B, S] (complex); ``snr_db`` as in
        :meth:`encode`."""
        s, m = self.preset.symbols_for(height, width), self.preset.num_scales
        if x_hat.dim() != 2 or x_hat.shape[1] != s:
            raise ValueError(f"a {height}x{width} image of preset {self.preset.name!r} is {s} symbols, "
                             f"got {list(x_hat.shape)}")
        snr = self._snr(self.preset.snr_db[1] if snr_db is None else snr_db, len(x_hat), x_hat.device)
        cells = (height >> m) * (width >> m)
        z = x_hat.new_zeros((len(x_hat), self.preset.latent_channels * cells), dtype=torch.float32)
        z[:, :2 * s] = torch.view_as_real(x_hat).flatten(1)
        z = self.from_symbols(z.view(len(x_hat), -1, height >> m, width >> m), snr)
        for stage in self.decoder:
            z = stage(z, snr)
        return self.to_image(z)

    def symbols_through(self, images: Tensor, channel: FlatFadingChannel, snr_db: float | Tensor | None,
                        generator: torch.Generator | None = None) -> tuple[Tensor, Tensor, Tensor, Tensor | float]:
        """The encoder's symbols over ``channel`` at Es/N0 ``snr_db`` (a float or [B]; ``None``: noiseless, ``y = h x``)
        with ``generator`` (``None``: torch's default): ``x``, ``y`` [B, S], ``h`` (broadcastable) and ``N0`` (a float
        or [B, 1])."""
        x = self.encode(images, snr_db)
        no = 0.0 if snr_db is None else 10 ** (-torch.as_tensor(snr_db, dtype=torch.float32, device=x.device) / 10)
        no = no.reshape(-1, 1) if torch.is_tensor(no) else no
        y, h = channel(x, no, generator)
        return x, y, h, no

    def transmit(self, images: Tensor, channel: FlatFadingChannel, snr_db: float | Tensor | None,
                 generator: torch.Generator | None = None) -> Tensor:
        """:meth:`symbols_through` the channel, MMSE equalization with the true ``h``, :meth:`decode`: [B, 3, H, W]."""
        _, y, h, no = self.symbols_through(images, channel, snr_db, generator)
        return self.decode(mmse_equalize(y, h, no), images.shape[2], images.shape[3], snr_db)

    def forward(self, images: Tensor) -> dict:
        low, high = self.preset.snr_db
        snr = low + (high - low) * torch.rand(len(images), device=images.device)
        channel = self.channels[int(torch.randint(len(self.channels), ()))]
        return {"x_hat": self.transmit(images, channel, snr)}
