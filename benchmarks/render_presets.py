"""Contact sheet of every posture preset (front and side view) for a visual check.

    python benchmarks/render_presets.py  -> benchmarks/results/body_presets.png
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent / "results" / "body_presets.png"


def main() -> None:
    import cv2

    from pipeline.body import load_body_model
    from pipeline.body.presets import PRESET_NAMES, posed_body
    from pipeline.views.cameras import Camera
    from pipeline.views.render import BodyRenderer

    body = load_body_model("anny")
    floor = (np.array([[-1, -1, 0], [1, -1, 0], [1, 1, 0], [-1, 1, 0]], float), np.array([[0, 1, 2], [0, 2, 3]]))
    tiles = []
    with BodyRenderer(background=(1.0, 1.0, 1.0)) as r:
        for name in PRESET_NAMES:
            v = body(posed_body(body, name, [0, 0, 0], 0.0)).vertices[0].detach().numpy()
            row = []
            for eye in ([0.8, -3.0, 1.0], [3.0, -0.3, 0.8]):
                cam = Camera.looking_at(eye, [0, 0, 0.6], width=256, height=256, fov_y_deg=50)
                img = r.render_bodies(cam, [(v, body.faces), floor], colors=[(0.8, 0.62, 0.5), (0.6, 0.7, 0.6)]).rgb
                row.append(img)
            tile = np.concatenate(row, 1).copy()
            cv2.putText(tile, name, (5, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 2)
            tiles.append(tile)
    if len(tiles) % 2:
        tiles.append(np.full_like(tiles[0], 255))
    sheet = np.concatenate([np.concatenate(tiles[i : i + 2], 1) for i in range(0, len(tiles), 2)], 0)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(OUT), sheet[..., ::-1])
    print(OUT)


if __name__ == "__main__":
    main()
