import os

# Keep the YoWASP (WebAssembly) compile cache in one place across runs.
os.environ.setdefault("YOWASP_CACHE_DIR", os.path.expanduser("~/.cache/YoWASP"))
