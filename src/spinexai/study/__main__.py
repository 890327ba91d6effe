"""``python -m spinexai.study``: write docs/study.md from a finished run."""

from spinexai.study.document import main

main()
