"""`python -m workers`: one arq worker. (Not the `arq` command, which appends the working
directory to the end of the import path, where installed packages can shadow ours.)"""

from infra.settings import get_settings
from workers.main import run_worker

if __name__ == "__main__":
    run_worker(get_settings())
