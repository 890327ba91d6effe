#!/usr/bin/env bash
# Make `snakemake --profile slurm all` (and `--profile local`) work from the repository root.
# Snakemake looks a profile *name* up in ~/.config/snakemake and /etc/xdg/snakemake, not in
# profiles/, so this links each profile of this repository there. A profile of that name that you
# already have is left alone (the script says so and exits non-zero).
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET="${XDG_CONFIG_HOME:-$HOME/.config}/snakemake"
mkdir -p "$TARGET"
status=0
for profile in profiles/*/; do
    name=$(basename "$profile")
    source_dir=$(cd "$profile" && pwd)
    link="$TARGET/$name"
    if [ -L "$link" ] && [ "$(readlink "$link")" = "$source_dir" ]; then
        echo "profile '$name' already links to $source_dir"
    elif [ -e "$link" ] || [ -L "$link" ]; then
        echo "not touching $link: a profile named '$name' exists already (use --profile $source_dir)" >&2
        status=1
    else
        ln -s "$source_dir" "$link"
        echo "linked $link -> $source_dir"
    fi
done
exit $status
