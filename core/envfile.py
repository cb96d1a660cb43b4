"""Create `.env` from `.env.example` with a fresh SECRET_KEY and bot-token key (run before
Django starts).

Usage: python -m core.envfile [path-to-.env]
"""

import base64
import secrets
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def fernet_key() -> str:
    """A new key for `cryptography`'s Fernet (32 random bytes, URL-safe base64), made without
    the package: this runs before the project's packages are installed."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def ensure_env_file(env_path: Path, example_path: Path) -> bool:
    """Write `env_path` from the example if it is missing; return True when created."""
    if env_path.exists():
        return False
    lines = []
    for line in example_path.read_text(encoding="utf-8").splitlines():
        if line.startswith("SECRET_KEY="):
            line = f"SECRET_KEY={secrets.token_urlsafe(50)}"
        elif line.startswith("BOT_TOKEN_KEYS="):
            line = f"BOT_TOKEN_KEYS={fernet_key()}"
        lines.append(line)
    env_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env_path.chmod(0o600)
    return True


def main(argv: list[str]) -> int:
    env_path = Path(argv[1]) if len(argv) > 1 else BASE_DIR / ".env"
    if ensure_env_file(env_path, BASE_DIR / ".env.example"):
        print(f"Created {env_path} with a new SECRET_KEY; edit it to add your tokens.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
