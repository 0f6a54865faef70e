"""``rlt viz``: a picture of what RLT keeps and drops in one clip of a video."""

from __future__ import annotations

import argparse
import sys

from .sampling_args import add_clip_arguments, clip_config, non_negative_float, positive_int, usage_error


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "viz",
        help="picture of one clip: original beside RLT, dropped tokens greyed",
        description="Draw one clip of VIDEO with the original frames on the left and RLT's view on the right: "
        "dropped tokens greyed out, faint patch borders. .png gives the first frame of every tubelet; .gif and "
        ".mp4 animate every frame.",
    )
    p.add_argument("video", metavar="VIDEO", help="video file")
    p.add_argument("--out", required=True, metavar="FILE", help="output picture: .png, .gif or .mp4")
    p.add_argument("--start", type=non_negative_float, default=0.0, metavar="SECONDS",
                   help="the clip starts at the first frame shown at or after this time (default 0)")
    p.add_argument("--color-by", choices=("none", "length"), default="none",
                   help="'length': tint kept tokens by run length, with a legend")
    p.add_argument("--cols", type=positive_int, default=4, help="frames per row in each half of a .png (default 4)")
    p.add_argument("--compact", action="store_true",
                   help="256-colour .png, about 2.5x smaller (for READMEs); pixel values become approximate")
    add_clip_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        config = clip_config(args)
    except ValueError as err:
        return usage_error("viz", str(err))
    from rlt.viz.writers import picture_kind

    try:
        picture_kind(args.out)
    except ValueError as err:
        return usage_error("viz", f"--out: {err}")
    try:
        from rlt.viz.optional import import_optional

        import_optional("av", "video", purpose="decode videos")
        import_optional("PIL", "viz", purpose="draw pictures")
    except ImportError as err:
        print(f"rlt viz: {err}", file=sys.stderr)
        return 2
    from rlt.data import VideoDecodeError

    from rlt.stats.video import describe_error

    try:
        return render(args, config)
    except (VideoDecodeError, OSError, ValueError) as err:
        print(f"rlt viz: {args.video}: {describe_error(err)}", file=sys.stderr)
        return 1


def render(args: argparse.Namespace, config) -> int:
    """Decode the chosen clip, plan it once, and write the picture; prints what was written."""
    from rlt.stats import plan_clip
    from rlt.stats.video import clip_at
    from rlt.viz import animation, save_picture, still_picture

    clip = clip_at(args.video, config, args.start)
    if clip is None:
        step = f"every {config.interval} frames" if config.fps is None else f"at {config.fps:g} fps"
        return usage_error("viz", f"--start {args.start:g} s leaves fewer than {config.num_frames} frames "
                                  f"({step}) in {args.video}")
    plan = plan_clip(clip.pixels, config)
    style = {"tubelet_size": config.tubelet_size, "patch_size": config.patch_size, "tau": config.tau,
             "color_by": args.color_by}
    if args.out.lower().endswith(".png"):
        still, _ = still_picture(plan.pixels, plan.keep, cols=args.cols, **style)
        save_picture(args.out, still, None, clip.fps, compact=args.compact)
    else:
        save_picture(args.out, None, animation(plan.pixels, plan.keep, **style), clip.fps)
    print(f"{args.video}: frames {clip.indices[0]}..{clip.indices[-1]}, kept {plan.tokens_kept}/{plan.tokens_total} "
          f"tokens ({100 * plan.tokens_kept / plan.tokens_total:.1f}%) at tau={config.tau:g}; wrote {args.out}")
    return 0
