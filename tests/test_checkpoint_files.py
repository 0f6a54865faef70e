"""Broken checkpoint files get a one-line CheckpointError naming the file (issue 13, defects 5 and 13).

Every case writes a real checkpoint with torch.save / safetensors, then damages it
the way disks, downloads and people do.
"""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path

import pytest
import torch

from rlt.models import CheckpointError, create_model, from_pretrained, load_checkpoint
from rlt.models.checkpoint_integrity import file_kind


def weights() -> dict[str, torch.Tensor]:
    torch.manual_seed(0)
    return create_model("vit-tiny-test").state_dict()


def saved(tmp_path: Path, name: str = "model.pth") -> Path:
    path = tmp_path / name
    torch.save({"model": weights(), "epoch": 1}, path)
    return path


def overwrite(path: Path, offset: int, data: bytes) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(data)


def largest_member_offset(path: Path) -> int:
    """File offset of the middle of the biggest tensor record inside a torch.save zip."""
    with zipfile.ZipFile(path) as archive:
        info = max(archive.infolist(), key=lambda i: i.file_size)
    with open(path, "rb") as f:  # the local header's name and extra lengths (the extra pads for alignment)
        f.seek(info.header_offset + 26)
        name_len, extra_len = int.from_bytes(f.read(2), "little"), int.from_bytes(f.read(2), "little")
    return info.header_offset + 30 + name_len + extra_len + info.file_size // 2


def load_error(path: Path, **kwargs) -> str:
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(create_model("vit-tiny-test"), path, **kwargs)
    assert err.value.path == str(path)
    message = str(err.value)
    assert str(path) in message and "\n" not in message, message
    return message


# --- defect 5: corruption is detected -----------------------------------------------------


def test_sound_checkpoint_still_loads(tmp_path):
    model = create_model("vit-tiny-test")
    assert load_checkpoint(model, saved(tmp_path)).clean
    assert torch.equal(model.head.weight, weights()["head.weight"])


def test_random_bytes_mid_file_are_caught_by_the_zip_crc(tmp_path):
    # Before: the changed weight loaded and the report said "clean".
    path = saved(tmp_path)
    overwrite(path, largest_member_offset(path), b"\x13\x37\xbe\xef")
    message = load_error(path)
    assert "is corrupted" in message and "CRC" in message


def test_bytes_in_the_middle_of_the_file_are_caught(tmp_path):
    path = saved(tmp_path)
    overwrite(path, path.stat().st_size // 2, bytes(range(7, 71)))
    assert "corrupted" in load_error(path)


def test_truncated_zip_checkpoint(tmp_path):
    path = saved(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    assert "is truncated or corrupted" in load_error(path)


def test_checkpoint_saved_without_crcs_still_loads(tmp_path):
    torch.serialization.set_crc32_options(False)
    try:
        path = saved(tmp_path)
    finally:
        torch.serialization.set_crc32_options(True)
    with zipfile.ZipFile(path) as archive:
        assert all(info.CRC == 0 for info in archive.infolist())
    assert load_checkpoint(create_model("vit-tiny-test"), path).clean


def save_safetensors(path: Path) -> None:
    from safetensors.torch import save_file

    save_file(weights(), str(path))


def test_truncated_safetensors(tmp_path):
    path = tmp_path / "model.safetensors"
    save_safetensors(path)
    data = path.read_bytes()
    path.write_bytes(data[:-100])
    assert "is truncated" in load_error(path)


def test_safetensors_with_bytes_appended(tmp_path):
    path = tmp_path / "model.safetensors"
    save_safetensors(path)
    path.write_bytes(path.read_bytes() + b"\0" * 16)
    assert "16 bytes follow the last tensor" in load_error(path)


def test_safetensors_with_a_damaged_header(tmp_path):
    path = tmp_path / "model.safetensors"
    save_safetensors(path)
    overwrite(path, 8, b"#garbage#")  # inside the JSON header
    assert "header is not valid JSON" in load_error(path)
    overwrite(path, 0, (10**12).to_bytes(8, "little"))  # header length beyond the file
    assert "claims 1000000000000 bytes" in load_error(path)


def test_safetensors_folder_error_names_the_file(tmp_path):
    save_safetensors(tmp_path / "model.safetensors")
    (tmp_path / "model.safetensors").write_bytes((tmp_path / "model.safetensors").read_bytes()[:50])
    with pytest.raises(CheckpointError, match="model.safetensors is truncated"):
        load_checkpoint(create_model("vit-tiny-test"), tmp_path)


# --- defect 13: missing / empty / text / foreign files ----------------------------------------


def test_empty_file(tmp_path):
    # Before: EOFError: ''
    path = tmp_path / "empty.pth"
    path.write_bytes(b"")
    assert load_error(path).endswith("is empty (0 bytes)")


def test_text_file_is_not_advised_to_trust_pickle(tmp_path):
    # Before: "holds objects other than tensors ... pass trust_pickle=True"
    path = tmp_path / "notes.pth"
    path.write_text("hello world\nsecond line\n")
    for trust in (False, True):
        message = load_error(path, trust_pickle=trust)
        assert "is a text file ('hello world'...)" in message and "trust_pickle" not in message


def test_binary_garbage(tmp_path):
    path = tmp_path / "noise.bin"
    path.write_bytes(bytes([0, 159, 146, 150, 1, 2, 3]) * 10)
    assert "is not a torch.save checkpoint" in load_error(path)


def test_zip_that_is_not_a_torch_checkpoint(tmp_path):
    path = tmp_path / "photos.pth"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.jpg", b"\xff\xd8 not really")
    assert "is a zip archive but not a torch.save checkpoint (no data.pkl among ['a.jpg'])" in load_error(path)


def test_long_utf8_text_cut_mid_character_is_still_text(tmp_path):
    path = tmp_path / "notes.pth"
    path.write_text("aé" * 400, encoding="utf-8")  # 3 bytes a pair: byte 512 is the first half of an "é"
    assert path.read_bytes()[511:512] == "é".encode()[:1]
    assert "is a text file" in load_error(path)


def test_missing_file_and_broken_symlink(tmp_path):
    assert load_error(tmp_path / "nope.pth").endswith("does not exist")
    link = tmp_path / "dangling.pth"
    link.symlink_to(tmp_path / "gone.pth")
    assert load_error(link).endswith("is a broken symbolic link")


def test_folder_without_weights_lists_what_it_holds(tmp_path):
    (tmp_path / "readme.txt").write_text("x")
    message = load_error(tmp_path)
    assert "has none of model.safetensors" in message and "readme.txt" in message


def test_pickle_of_something_else(tmp_path):
    path = tmp_path / "list.pth"
    torch.save([1, 2, 3], path)
    assert "does not contain a state dict (found list)" in load_error(path)


def test_truncated_legacy_pickle(tmp_path):
    path = tmp_path / "old.pth"
    torch.save(weights(), path, _use_new_zipfile_serialization=False)
    assert file_kind(path.read_bytes()[:8], path.stat().st_size) == "pickle"
    path.write_bytes(path.read_bytes()[:200])
    assert "is truncated or corrupted" in load_error(path)


class _Opaque:
    pass


def test_foreign_objects_still_point_to_trust_pickle_and_name_the_file(tmp_path):
    path = tmp_path / "odd.pth"
    torch.save({"model": weights(), "extra": _Opaque()}, path)
    message = load_error(path)
    assert "holds objects other than tensors" in message and "trust_pickle=True" in message
    assert "_Opaque" in message


def test_from_pretrained_raises_the_same_errors(tmp_path):
    path = tmp_path / "empty.pth"
    path.write_bytes(b"")
    with pytest.raises(CheckpointError, match="empty.pth is empty"):
        from_pretrained(path)


def test_checkpoint_error_survives_pickling(tmp_path):
    err = CheckpointError(tmp_path / "x.pth", "is empty (0 bytes)")
    back = pickle.loads(pickle.dumps(err))
    assert (back.path, back.reason, str(back)) == (err.path, err.reason, str(err))
    assert isinstance(back, ValueError)


def test_sharded_hf_folder_names_the_broken_shard(tmp_path):
    transformers = pytest.importorskip("transformers")
    config = transformers.VideoMAEConfig(image_size=32, patch_size=16, num_frames=4, hidden_size=64,
                                         num_hidden_layers=2, num_attention_heads=2, intermediate_size=128, num_labels=5)
    torch.manual_seed(0)
    transformers.VideoMAEForVideoClassification(config).save_pretrained(tmp_path, max_shard_size="60KB")
    shards = sorted(tmp_path.glob("model-*.safetensors"))
    assert len(shards) > 1 and (tmp_path / "model.safetensors.index.json").is_file()
    assert from_pretrained(tmp_path).config.heads == 2  # sound shards load
    shards[0].write_bytes(shards[0].read_bytes()[:-10])
    with pytest.raises(CheckpointError, match=f"{shards[0].name} is truncated"):
        from_pretrained(tmp_path)
    shards[0].unlink()
    with pytest.raises(CheckpointError, match=f"index.json lists shard '{shards[0].name}', which is missing"):
        from_pretrained(tmp_path)
