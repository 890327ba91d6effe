from conftest import REPO
from spinexai.io.tables import schemas_markdown


def test_table_docs_are_generated_from_the_schemas():
    assert (REPO / "docs" / "tables.md").read_text() == schemas_markdown()
