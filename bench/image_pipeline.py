"""The upload image pipeline against plain Pillow on a 12 MP camera-like JPEG.

Run: `make bench` (or `.venv/bin/python -m bench.image_pipeline`). The script draws a
4000x3000 JPEG (gradient plus noise, with EXIF), then times, each in a fresh subprocess
so that peak memory is its own:

- pipeline: `utils.file_processing.process_image` (draft decode, 1920 px, 400 px thumbnail,
  re-encoded without metadata);
- plain: full decode, `thumbnail()` to 1920 px and to 400 px (Lanczos), both saved with the
  same JPEG settings as the pipeline (quality 85, progressive, optimized);
- bomb: refusing a 30000x30000 PNG of about 110 KB;
- worst accepted: the images costing the most memory that the pipeline still accepts (the
  largest of each kind under its decode budget: a 40 Mpx baseline JPEG decoded at half
  scale, a progressive JPEG, PNGs with and without alpha, 16-bit grey, WebP), each alone,
  then four at once of the costliest, as four sync gunicorn workers would; beside them, four
  at once of the 36 Mpx, 100 KB PNG the pipeline accepted before its budget (the budget
  lifted, same run).

Reported: the median of ROUNDS runs of each and the peak RSS of each subprocess; for the
worst cases, what each process's peak RSS rose by over its size after imports, and their sum.
Targets: pipeline <= 0.35x plain, peak RSS < 150 MB, bomb < 50 ms, four worst accepted at
once < 400 MB in all. Recorded for bench/RESULTS.md with the range of the runs, the pipeline
against plain Pillow. BENCH_QUICK=1: 1 run of each.
"""

import io
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.results import Results, setting  # noqa: E402

ROUNDS = setting("BENCH_ROUNDS", 7, 1)
WIDTH, HEIGHT = 4000, 3000
TARGET_RATIO = 0.35
TARGET_RSS_MB = 150
TARGET_BOMB_MS = 50
TARGET_FOUR_WORST_MB = 400
CONCURRENT = 4


def camera_jpeg() -> bytes:
    """Smooth gradients with sensor-like noise on every channel, and a camera's EXIF."""
    from PIL import Image

    size = (WIDTH, HEIGHT)
    channels = (
        Image.linear_gradient("L").resize(size),
        Image.linear_gradient("L").rotate(90).resize(size),
        Image.radial_gradient("L").resize(size),
    )
    image = Image.merge(
        "RGB",
        [Image.blend(channel, Image.effect_noise(size, 64), 0.2) for channel in channels],
    )
    exif = Image.Exif()
    exif[0x010F] = "BenchCamera"
    exif[0x0110] = "Model 12MP"
    exif[0x0112] = 6
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=92, exif=exif.tobytes())
    return buffer.getvalue()


def run_pipeline(path: str) -> None:
    from utils.file_processing import process_image

    process_image(Path(path).read_bytes())


def run_plain(path: str) -> None:
    from PIL import Image

    image = Image.open(path)
    image.load()
    for side in (1920, 400):
        copy = image.copy()
        copy.thumbnail((side, side), Image.Resampling.LANCZOS)
        copy.save(io.BytesIO(), "JPEG", quality=85, optimize=True, progressive=True)


def run_bomb(_path: str) -> None:
    from tests.media_files import png_bomb
    from utils.file_processing import InvalidFileError, process_image

    data = png_bomb()
    start = time.perf_counter()
    try:
        process_image(data)
    except InvalidFileError:
        pass
    else:
        raise SystemExit("the bomb was not refused")
    print(time.perf_counter() - start)


def worst_cases() -> dict[str, bytes]:
    """The largest image of each kind the decode budget accepts (square; found by trying)."""
    from PIL import Image

    def encoded(mode, side, fmt, **options) -> bytes:
        gradient = Image.linear_gradient("L").resize((side, side))
        if mode == "I;16":
            image = gradient.convert("I").point(lambda value: value * 256).convert("I;16")
        else:
            image = Image.merge(mode, [gradient] * len(mode))
        buffer = io.BytesIO()
        image.save(buffer, fmt, **options)
        return buffer.getvalue()

    return {
        "JPEG 6320x6320 (40 Mpx)": encoded("RGB", 6320, "JPEG", quality=90, subsampling=0),
        "progressive JPEG 2640x2640": encoded("RGB", 2640, "JPEG", quality=90, progressive=True),
        "PNG RGBA 2490x2490": encoded("RGBA", 2490, "PNG"),
        "PNG RGB 3300x3300": encoded("RGB", 3300, "PNG"),
        "PNG 16-bit grey 2490x2490": encoded("I;16", 2490, "PNG"),
        "WebP RGBA 1920x1920": encoded("RGBA", 1920, "WEBP", quality=90),
    }


def issue_png() -> bytes:
    """The attack of issue 20: a 36 Mpx PNG of about 100 KB (one colour, with alpha)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGBA", (6000, 6000), (200, 80, 120, 128)).save(buffer, "PNG")
    return buffer.getvalue()


def run_decode(path: str, unbudgeted: bool) -> None:
    """Peak RSS rise of one upload's processing over this process's size after imports."""
    from utils import file_processing

    if unbudgeted:
        file_processing.DECODE_BUDGET = 1 << 62
    before = high_water_mb()
    file_processing.process_image(Path(path).read_bytes())
    after = high_water_mb()
    print(after - before, after)


def high_water_mb() -> float:
    """This process's peak RSS (VmHWM: unlike ru_maxrss, not inherited from the parent that
    started it)."""
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmHWM:")[1].split()[0]) / 1024


def decode_at_once(paths: list[str], unbudgeted: bool = False) -> tuple[float, float]:
    """Processes each decoding one file, started together: the sums of their peak RSS rises
    and of their peak RSS."""
    command = [sys.executable, "-m", "bench.image_pipeline", "--child", "decode"]
    flag = "unbudgeted" if unbudgeted else "budgeted"
    children = [
        subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [*command, f"{path}:{flag}"], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        for path in paths
    ]
    rises, peaks = [], []
    for process in children:
        output, _ = process.communicate()
        if process.returncode:
            raise SystemExit(f"decoding failed ({process.returncode}): a worst case was refused")
        rise, peak = map(float, output.split())
        rises.append(rise)
        peaks.append(peak)
    return sum(rises), sum(peaks)


def measure_worst(folder: Path) -> dict[str, tuple[float, float]]:
    """Each worst case alone, four of the costliest at once, four of the issue's PNG at once
    without the budget: name -> (sum of peak RSS rises, sum of peak RSS), in MB."""
    paths = {}
    for name, data in {**worst_cases(), "issue": issue_png()}.items():
        paths[name] = str(folder / f"worst-{len(paths)}")
        Path(paths[name]).write_bytes(data)
    issue = paths.pop("issue")
    alone = {name: decode_at_once([path]) for name, path in paths.items()}
    costliest = max(alone, key=lambda name: alone[name][0])
    return {
        **{f"{name}, alone": figures for name, figures in alone.items()},
        f"{CONCURRENT} x {costliest} at once": decode_at_once([paths[costliest]] * CONCURRENT),
        f"{CONCURRENT} x 36 Mpx PNG at once, no budget (before)": decode_at_once(
            [issue] * CONCURRENT, unbudgeted=True
        ),
    }


def child(kind: str, path: str) -> None:
    if kind == "bomb":
        run_bomb(path)
        return
    if kind == "decode":
        file, flag = path.rsplit(":", 1)
        run_decode(file, flag == "unbudgeted")
        return
    # Imports first, so only the work is timed (mutagen alone takes ~0.1 s to import).
    import PIL.Image  # noqa: F401

    import utils.file_processing  # noqa: F401

    start = time.perf_counter()
    {"pipeline": run_pipeline, "plain": run_plain}[kind](path)
    print(time.perf_counter() - start)


def measure(kind: str, path: str) -> float:
    """Seconds of one run of `kind` in its own process (timed inside it)."""
    output = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-m", "bench.image_pipeline", "--child", kind, path],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return float(output.strip().splitlines()[-1])


def peak_rss_mb(kind: str, path: str) -> float:
    """Peak RSS of one child alone: read by a wrapper process so others do not mix in."""
    code = (
        "import resource, subprocess, sys;"
        f"subprocess.run([sys.executable, '-m', 'bench.image_pipeline', '--child', {kind!r},"
        f" {path!r}], check=True, capture_output=True);"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    output = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    return int(output.strip()) / 1024


def main() -> None:
    data = camera_jpeg()
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "camera.jpg")
        Path(path).write_bytes(data)
        print(f"input: {WIDTH}x{HEIGHT} JPEG, {len(data) / 1e6:.1f} MB, {ROUNDS} rounds")
        results, ranges = {}, {}
        for kind in ("plain", "pipeline", "bomb"):
            times = [measure(kind, path) for _ in range(ROUNDS)]
            results[kind] = (statistics.median(times), peak_rss_mb(kind, path))
            ranges[kind] = (min(times) * 1000, max(times) * 1000)
        worst = measure_worst(Path(folder))
    plain, pipeline, bomb = results["plain"], results["pipeline"], results["bomb"]
    ratio = pipeline[0] / plain[0]
    print(f"plain Pillow: {plain[0] * 1000:.0f} ms median, peak RSS {plain[1]:.0f} MB")
    print(f"pipeline:     {pipeline[0] * 1000:.0f} ms median, peak RSS {pipeline[1]:.0f} MB")
    print(f"ratio pipeline/plain: {ratio:.2f} (target <= {TARGET_RATIO})")
    print(f"bomb refused: {bomb[0] * 1000:.1f} ms median, peak RSS {bomb[1]:.0f} MB")
    for name, (rise, total) in worst.items():
        print(f"{name}: peak RSS rose {rise:.0f} MB (peak RSS {total:.0f} MB in all)")
    *_, (four_name, four), (before_name, before) = worst.items()
    ok = (
        ratio <= TARGET_RATIO
        and pipeline[1] < TARGET_RSS_MB
        and bomb[0] * 1000 < TARGET_BOMB_MS
        and four[0] < TARGET_FOUR_WORST_MB
    )
    print("targets met" if ok else "TARGETS MISSED")

    recorded = Results("image_pipeline", "Upload image pipeline against plain Pillow")
    recorded.settings = {
        "input": f"{WIDTH}x{HEIGHT} camera-like JPEG, {len(data) / 1e6:.1f} MB",
        "runs": f"{ROUNDS} of each, each in its own process",
    }
    recorded.add(
        "plain Pillow, time", plain[0] * 1000, "ms", low=ranges["plain"][0], high=ranges["plain"][1]
    )
    recorded.add(
        "pipeline, time",
        pipeline[0] * 1000,
        "ms",
        low=ranges["pipeline"][0],
        high=ranges["pipeline"][1],
        baseline="plain Pillow, time",
        baseline_value=plain[0] * 1000,
        target=("<=", TARGET_RATIO),
    )
    recorded.add("plain Pillow, peak RSS", plain[1], "MB")
    recorded.add(
        "pipeline, peak RSS",
        pipeline[1],
        "MB",
        baseline="plain Pillow, peak RSS",
        baseline_value=plain[1],
        target=("<", TARGET_RSS_MB),
        target_on="value",
    )
    recorded.add(
        "30000x30000 PNG bomb refused, time",
        bomb[0] * 1000,
        "ms",
        low=ranges["bomb"][0],
        high=ranges["bomb"][1],
        target=("<", TARGET_BOMB_MS),
    )
    recorded.add("PNG bomb, peak RSS", bomb[1], "MB")
    for name, (rise, total) in list(worst.items())[:-2]:
        recorded.add(f"worst accepted: {name}, peak RSS rise", rise, "MB", note=f"{total:.0f} MB")
    recorded.add(
        f"worst accepted: {four_name}, peak RSS rises summed",
        four[0],
        "MB",
        baseline=before_name,
        baseline_value=before[0],
        target=("<", TARGET_FOUR_WORST_MB),
        target_on="value",
        note=f"peak RSS {four[1]:.0f} MB in all, imports included (before: {before[1]:.0f} MB)",
    )
    recorded.save()


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    else:
        main()
