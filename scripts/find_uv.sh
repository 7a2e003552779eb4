# Sourced by the install scripts: sets UV to a uv binary (uv installs the locked versions in
# parallel: minutes, not a quarter of an hour). Uses uv from PATH, else installs the pinned
# uv from PyPI into .venv (created first by the caller).
UV_VERSION="0.13.9"
if [[ -n "${UV:-}" && -x "${UV}" ]]; then
  :
elif command -v uv >/dev/null 2>&1; then
  UV="$(command -v uv)"
elif [[ -x .venv/bin/uv ]]; then
  UV="$PWD/.venv/bin/uv"
else
  echo "uv not found: installing uv==${UV_VERSION} from PyPI into .venv"
  .venv/bin/python -m pip install -q --disable-pip-version-check "uv==${UV_VERSION}"
  UV="$PWD/.venv/bin/uv"
fi
export UV
