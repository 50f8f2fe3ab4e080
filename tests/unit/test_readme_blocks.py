"""scripts/readme_test.py reads the README's blocks as documented: a skip marker applies to the next block only,
a YAML block names its file in its first comment line, and this README's blocks are what make readme-test runs."""
import importlib.util
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
SPEC = importlib.util.spec_from_file_location('readme_test', ROOT / 'scripts' / 'readme_test.py')
readme_test = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(readme_test)

TEXT = '''# Title

<!-- readme-test: skip: needs Galaxy -->
```console
ansible-galaxy collection install -r requirements.yml
```

```console
echo run me
```

```yaml
# vars.yml (vault it)
a: 1
```
'''


def test_a_skip_marker_applies_to_the_next_block_only():
    found = list(readme_test.blocks(TEXT))
    assert [(lang, skip) for line, lang, body, skip in found] == [
        ('console', 'needs Galaxy'), ('console', None), ('yaml', None)]
    assert found[1][0] == 8 and found[1][2] == 'echo run me\n'


def test_a_yaml_block_names_its_file_in_its_first_comment():
    body = list(readme_test.blocks(TEXT))[2][2]
    assert readme_test.FILE_RE.match(body).group(1) == 'vars.yml'
    assert readme_test.FILE_RE.match('# the defaults\na: 1\n') is None


def test_the_readme_skips_only_what_cannot_run_here_and_names_the_files_its_commands_use():
    found = list(readme_test.blocks((ROOT / 'README.md').read_text()))
    skipped = [skip for line, lang, body, skip in found if skip]
    assert len(skipped) == 2, skipped
    written = {readme_test.FILE_RE.match(body).group(1) for line, lang, body, skip in found
               if lang == 'yaml' and readme_test.FILE_RE.match(body)}
    commands = ''.join(body for line, lang, body, skip in found if lang == 'console' and not skip)
    for name in ('sign-vars.yml', 'enforce.yml', 'rotate-vars.yml', 'backup-vars.yml', 'renew-vars.yml'):
        assert name in written and name in commands, name
