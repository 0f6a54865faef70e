"""``rlt viz``: a picture of what RLT keeps and drops in one clip of a video."""

from __future__ import annotations

import argparse

from .errors import UsageError
from .outputs import output_argument
from .sampling_args import add_clip_arguments, clip_config, non_negative_float, positive_int


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "viz",
        help="picture of one clip: original beside RLT, dropped tokens greyed",
        description="Draw one clip of VIDEO with the original frames on the left and RLT's view on the right: "
        "dropped tokens greyed out, faint patch borders. .png gives the first frame of every tubelet; .gif and "
        ".mp4 animate every frame. Tubelets that are padding (a video shorter than one clip) or repeated frames "
        "(--fps above the video's rate) are labelled and not counted.",
    )
    p.add_argument("video", metavar="VIDEO", help="video file")
    output_argument(p, "--out", required=True, metavar="FILE", help="output picture: .png, .gif or .mp4 "
                    "(missing folders are created)")
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
    config = clip_config(args)
    from rlt.optional import import_optional
    from rlt.viz import picture_kind

    try:
        picture_kind(args.out)
    except ValueError as err:
        raise UsageError(f"--out: {err}") from None
    import_optional("av", "video", purpose="decode videos")
    import_optional("PIL", "viz", purpose="draw pictures")
    return render(args, config)


def render(args: argparse.Namespace, config) -> int:
    """Decode the chosen clip, plan it once, and write the picture; prints what was written."""
    from rlt.stats import clip_at, plan_cut_clip
    from rlt.viz import animation, save_picture, still_picture

    clip = clip_at(args.video, config, args.start)
    if clip is None:
        step = f"every {config.interval} frames" if config.fps is None else f"at {config.fps:g} fps"
        raise UsageError(f"--start {args.start:g} s leaves fewer than {config.num_frames} frames ({step}) "
                         f"in {args.video}")
    plan = plan_cut_clip(clip, config)[0]
    labels = plan.tubelet_labels()
    style = {"tubelet_size": config.tubelet_size, "patch_size": config.patch_size, "tau": config.tau,
             "color_by": args.color_by, "tubelet_labels": labels if any(labels) else None}
    if args.out.lower().endswith(".png"):
        still, _ = still_picture(plan.pixels, plan.keep, cols=args.cols, **style)
        save_picture(args.out, still, None, clip.fps, compact=args.compact)
    else:
        save_picture(args.out, None, animation(plan.pixels, plan.keep, **style), clip.fps)
    skipped = sum(1 for label in labels if label)
    note = f"; {skipped} tubelet{'s' if skipped != 1 else ''} of padding or repeated frames not counted" if skipped \
        else ""
    print(f"{args.video}: frames {clip.indices[0]}..{clip.indices[-1]}, kept {plan.tokens_kept}/{plan.tokens_total} "
          f"tokens ({100 * plan.tokens_kept / plan.tokens_total:.1f}%) at tau={config.tau:g}{note}; wrote {args.out}")
    return 0
