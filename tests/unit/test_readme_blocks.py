"""scripts/readme_test.py reads the blocks of the README and docs/ as documented: a skip marker applies to the next
block only, a YAML block names its file in its first comment line, and only what cannot run here is skipped."""
import importlib.util
import pathlib
import re

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


# what make readme-test cannot run here, each with the words a skip reason must use: make itself (readme-test runs
# inside make test; make clean-lab runs), Galaxy (not reachable from this machine), and an inventory of several hosts
CANNOT_RUN_HERE = ((r'^make (lab|test|readme-test)\b', 'make'), (r'^ansible-galaxy collection install', 'galaxy'), (r'-i inventory/ha\.yml', 'hosts'))


def test_a_block_is_skipped_only_when_it_cannot_run_here_and_says_why():
    """Every skipped block is one of CANNOT_RUN_HERE and its reason says which; every other command block runs."""
    found = list(readme_test.all_blocks())
    for where, lang, body, skip in found:
        reasons = [word for sign, word in CANNOT_RUN_HERE if re.search(sign, body, re.M)]
        if skip:
            assert reasons, '%s is skipped but could run here: %r' % (where, body)
            assert any(word in skip.lower() for word in reasons), '%s: the skip reason names none of %s' % (where, reasons)
        elif lang == 'console':
            assert not reasons, '%s runs %s, which cannot run here' % (where, reasons)


def test_every_doc_is_run_and_its_commands_find_the_files_its_yaml_writes():
    listed = set(readme_test.DOCUMENTS)
    assert {'docs/%s' % path.name for path in (ROOT / 'docs').glob('*.md')} | {'README.md'} == listed
    found = list(readme_test.all_blocks())
    written = {readme_test.FILE_RE.match(body).group(1) for where, lang, body, skip in found
               if lang == 'yaml' and readme_test.FILE_RE.match(body)}
    commands = ''.join(body for where, lang, body, skip in found if lang == 'console' and not skip)
    for name in ('sign-vars.yml', 'enforce.yml', 'rotate-vars.yml', 'backup-vars.yml', 'renew-vars.yml'):
        assert name in written and name in commands, name
