"""ProtoVerse (Sinhamahapatra et al. 2024): prototype networks for Genant grading, ProtoPNet and a
non-prototype baseline, projection, evaluation, paper-shaped summaries and the reader-study kit."""
