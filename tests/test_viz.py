"""rlt.viz and ``rlt viz``: grey exactly on dropped tokens, sizes of the written files, colours by run length."""

from __future__ import annotations

import av
import numpy as np
import pytest
import torch
from PIL import Image

from rlt.cli.main import main
from rlt.ops import run_lengths_grid
from rlt.stats import StatsConfig, iter_clips, plan_clip
from rlt.viz import (
    PanelLayout,
    animation,
    length_colours,
    pixel_keep,
    render_rlt,
    save_gif,
    save_mp4,
    still_picture,
    washed_grey,
)
from rlt.viz.overlay import BORDER_ALPHA, GREY_CONTRAST, GREY_LEVEL

TS, P = 2, 8


pytestmark = pytest.mark.usefixtures("one_thread")


def colourful_frames(t: int = 8, h: int = 32, w: int = 48, seed: int = 0) -> torch.Tensor:
    """(T, H, W, 3) uint8 in which no pixel is grey: red exceeds green by at least 40."""
    g = torch.Generator().manual_seed(seed)
    green = torch.randint(0, 150, (t, h, w), generator=g)
    red = green + torch.randint(40, 100, (t, h, w), generator=g)
    blue = torch.randint(0, 256, (t, h, w), generator=g)
    return torch.stack([red, green, blue], -1).to(torch.uint8)


def random_keep(t: int, h: int, w: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    keep = torch.rand(t, h, w, generator=g) < 0.4
    keep[0] = True
    return keep


def is_grey(pixels) -> np.ndarray:
    pixels = np.asarray(pixels)
    return (pixels[..., 0] == pixels[..., 1]) & (pixels[..., 1] == pixels[..., 2])


@pytest.mark.parametrize("seed", range(3))
def test_grey_pixels_sit_exactly_on_dropped_tokens(seed):
    frames = colourful_frames(seed=seed)
    keep = random_keep(4, 4, 6, seed)
    out = render_rlt(frames, keep, tubelet_size=TS, patch_size=P)
    dropped = ~keep.repeat_interleave(TS, 0).repeat_interleave(P, 1).repeat_interleave(P, 2)
    np.testing.assert_array_equal(is_grey(out), dropped.numpy())
    # Away from the patch borders, kept pixels are untouched and dropped ones are the washed grey of the original.
    interior = torch.ones(32, 48, dtype=torch.bool)
    interior[::P, :] = False
    interior[:, ::P] = False
    inside = interior.expand_as(dropped)
    assert torch.equal(out[~dropped & inside], frames[~dropped & inside])
    assert torch.equal(out[dropped & inside], washed_grey(frames)[dropped & inside])


def test_washed_grey_formula_and_faint_borders():
    frame = torch.tensor([[[[200, 100, 0]]]], dtype=torch.uint8)  # (1, 1, 1, 3)
    luma = 0.299 * 200 + 0.587 * 100
    grey = round(GREY_LEVEL + GREY_CONTRAST * (luma - GREY_LEVEL))
    assert washed_grey(frame).flatten().tolist() == [grey] * 3
    keep = torch.zeros(1, 1, 1, dtype=torch.bool)
    keep[0] = True
    border = render_rlt(frame.expand(2, 8, 8, 3).contiguous(), keep, tubelet_size=2, patch_size=8)
    expected = [round((1 - BORDER_ALPHA) * v + BORDER_ALPHA * 255) for v in (200, 100, 0)]
    assert border[0, 0, 3].tolist() == expected  # first row of the patch: a faint line
    assert border[0, 3, 3].tolist() == [200, 100, 0]  # inside: untouched


def test_colour_by_length_tints_kept_tokens_by_their_run_length():
    frames = colourful_frames()
    keep = random_keep(4, 4, 6, 1)
    lengths = run_lengths_grid(keep[None])[0]
    colours = length_colours(4)
    out = render_rlt(frames, keep, tubelet_size=TS, patch_size=P, lengths=lengths, colours=colours, borders=False)
    per_pixel = pixel_keep(lengths, TS, P)
    kept = per_pixel > 0
    expected = (0.5 * frames.float() + 0.5 * colours[per_pixel]).round().to(torch.uint8)
    assert torch.equal(out[kept], expected[kept])
    assert torch.equal(out[~kept], washed_grey(frames)[~kept])
    assert colours.shape == (5, 3) and not torch.equal(colours[1], colours[4])


def test_still_picture_tiles_are_the_frames_and_png_is_lossless(tmp_path):
    frames = colourful_frames()
    keep = random_keep(4, 4, 6, 2)
    image, layout = still_picture(frames, keep, tubelet_size=TS, patch_size=P, tau=0.1, cols=2)
    assert image.shape[:2] == layout.size and layout.rows == 2
    path = tmp_path / "p.png"
    Image.fromarray(image).save(path)
    reread = np.asarray(Image.open(path).convert("RGB"))
    painted = render_rlt(frames, keep, tubelet_size=TS, patch_size=P).numpy()
    for k in range(4):
        y, x = layout.origin(0, k)
        np.testing.assert_array_equal(reread[y : y + 32, x : x + 48], frames[k * TS].numpy())
        y, x = layout.origin(1, k)
        np.testing.assert_array_equal(reread[y : y + 32, x : x + 48], painted[k * TS])


def test_layout_size_and_origins():
    layout = PanelLayout(tile_h=224, tile_w=224, tiles=8, cols=4)
    assert layout.size == (8 * 2 + 22 + 2 * 224 + 4, 8 * 2 + 2 * (4 * 224 + 3 * 4) + 16)
    assert layout.origin(1, 5) == (8 + 22 + 224 + 4, 8 + (4 * 224 + 12) + 16 + 224 + 4)
    with pytest.raises(ValueError, match="k=8"):
        layout.origin(0, 8)


def test_gif_and_mp4_have_one_frame_per_video_frame(tmp_path):
    frames = colourful_frames()
    keep = random_keep(4, 4, 6, 3)
    anim = animation(frames, keep, tubelet_size=TS, patch_size=P, tau=0.1, color_by="length")
    assert anim.shape[0] == 8
    save_gif(anim, tmp_path / "a.gif", fps=8)
    with Image.open(tmp_path / "a.gif") as gif:
        assert gif.n_frames == 8 and gif.size == (anim.shape[2], anim.shape[1])
    save_mp4(anim, tmp_path / "a.mp4", fps=8)
    with av.open(str(tmp_path / "a.mp4")) as container:
        decoded = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    h, w = anim.shape[1:3]
    assert len(decoded) == 8 and decoded[0].shape == (h + h % 2, w + w % 2, 3)


def test_cli_png_shows_static_background_grey_and_the_moving_square(synthetic_videos, tmp_path, capsys):
    out = tmp_path / "viz.png"
    args = ["--num-frames", "8", "--interval", "1", "--size", "48"]
    assert main(["viz", str(synthetic_videos.files["ffv1.mkv"]), "--out", str(out), *args]) == 0
    config = StatsConfig(num_frames=8, interval=1, size=48)
    plan = plan_clip(next(iter_clips(synthetic_videos.files["ffv1.mkv"], config)).pixels, config)
    image, layout = still_picture(plan.pixels, plan.keep, tubelet_size=2, patch_size=16, tau=0.1)
    picture = np.asarray(Image.open(out).convert("RGB"))
    assert picture.shape[:2] == layout.size
    np.testing.assert_array_equal(picture, image)
    for k in range(1, 4):  # every tubelet after the first
        y, x = layout.origin(1, k)
        tile = picture[y : y + 48, x : x + 48]
        keep = plan.keep[k].repeat_interleave(16, 0).repeat_interleave(16, 1).numpy()
        source_grey = is_grey(plan.pixels[2 * k].numpy())  # the barcode is black and white
        np.testing.assert_array_equal(is_grey(tile), ~keep | source_grey)  # grey exactly where dropped
        # The square (yellow: red and green high, blue low) is visible in the RLT picture of every tubelet.
        square = (tile[..., 0] > 200) & (tile[..., 1] > 180) & (tile[..., 2] < 100)
        assert square.sum() >= 12 * 12 // 2
    # The middle row of patches (y 16..31) holds only the static background: dropped after t = 0.
    assert not plan.keep[1:, 1, :].any()
    assert "wrote" in capsys.readouterr().out


@pytest.mark.parametrize("suffix", [".gif", ".mp4"])
def test_cli_animations(synthetic_videos, tmp_path, suffix):
    out = tmp_path / f"viz{suffix}"
    assert main(["viz", str(synthetic_videos.files["h264.mp4"]), "--out", str(out), "--num-frames", "8",
                 "--interval", "2", "--size", "32", "--color-by", "length"]) == 0
    assert out.stat().st_size > 0


def test_cli_usage_and_decode_errors(synthetic_videos, tmp_path, capsys):
    video = str(synthetic_videos.files["h264.mp4"])
    assert main(["viz", video, "--out", str(tmp_path / "x.txt")]) == 2
    assert "'.txt'" in capsys.readouterr().err
    assert main(["viz", video, "--out", str(tmp_path / "x.png"), "--start", "100"]) == 2
    assert "--start 100" in capsys.readouterr().err
    assert main(["viz", str(synthetic_videos.empty), "--out", str(tmp_path / "x.png")]) == 1
    assert "empty" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["viz", video, "--out", str(tmp_path / "x.png"), "--start", "-1"])
    assert exc.value.code == 2


def test_start_picks_the_first_frame_at_or_after_that_time(synthetic_videos):
    from rlt.stats import clip_at

    path = synthetic_videos.files["ffv1.mkv"]  # 30 frames at 25 fps
    config = StatsConfig(num_frames=8, interval=2, size=48)
    assert clip_at(path, config, 0.39).indices == list(range(10, 26, 2))
    assert clip_at(path, config, 0.0).indices == list(range(0, 16, 2))
    assert clip_at(path, config, 0.7) is None  # frames 18, 20, ..., 28: only 6 left
    short = StatsConfig(num_frames=32, interval=1, size=48)
    assert clip_at(path, short, 0.0).padded == 2  # shorter than one clip: padded, as in rlt stats
