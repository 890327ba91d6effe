"""The explanation benchmark (methods section 7): every method's maps scored against the true fracture region."""
