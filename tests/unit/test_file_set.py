"""file_set: what the scenarios cannot show cheaply (check mode predicts, bad owners and modes fail
before anything is written, content is compared byte for byte)."""
import os
import stat

import pytest

from ansible_collections.dct.trust_stack.plugins.modules import file_set


class FakeModule:
    def __init__(self, check_mode=False, **params):
        self.check_mode = check_mode
        self.params = dict(dict(directories=[], files=[], absent=[]), **params)


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_check_mode_predicts_and_writes_nothing(tmp_path):
    params = dict(directories=[{'path': str(tmp_path / 'd'), 'owner': None, 'group': None, 'mode': '0750'}],
                  files=[{'path': str(tmp_path / 'd' / 'f'), 'content': 'x\n', 'owner': None, 'group': None, 'mode': '0600'}])
    predicted = file_set.run(FakeModule(check_mode=True, **params))
    assert not (tmp_path / 'd').exists()
    done = file_set.run(FakeModule(**params))
    assert predicted['changed_paths'] == done['changed_paths'] == [str(tmp_path / 'd'), str(tmp_path / 'd' / 'f')]
    assert (tmp_path / 'd' / 'f').read_text() == 'x\n'
    assert mode_of(tmp_path / 'd') == 0o750 and mode_of(tmp_path / 'd' / 'f') == 0o600
    again = file_set.run(FakeModule(**params))
    assert not again['changed'] and again['changed_files'] == []


def test_content_and_mode_changes_are_told_apart(tmp_path):
    path = tmp_path / 'f'
    path.write_text('old')
    os.chmod(path, 0o644)
    entry = {'path': str(path), 'content': 'old', 'owner': None, 'group': None, 'mode': '0600'}
    result = file_set.run(FakeModule(files=[entry]))
    assert result['changed'] and result['changed_files'] == []   # mode only: no restart needed
    result = file_set.run(FakeModule(files=[dict(entry, content='new')]))
    assert result['changed_files'] == [str(path)] and path.read_text() == 'new'


@pytest.mark.parametrize('entry, message', [
    ({'owner': 'no-such-user-dct'}, 'owner "no-such-user-dct"'),
    ({'group': 'no-such-group-dct'}, 'group "no-such-group-dct"'),
    ({'mode': 'rw-r--r--'}, 'not an octal mode'),
])
def test_bad_attributes_fail_before_writing(tmp_path, entry, message):
    base = {'path': str(tmp_path / 'f'), 'content': 'x', 'owner': None, 'group': None, 'mode': '0644'}
    with pytest.raises(file_set.FileSetError, match=message):
        file_set.run(FakeModule(files=[dict(base, **entry)]))
    assert not (tmp_path / 'f').exists()


def test_missing_directory_and_wrong_type_fail(tmp_path):
    with pytest.raises(file_set.FileSetError, match='does not exist; list it'):
        file_set.run(FakeModule(files=[{'path': str(tmp_path / 'no' / 'f'), 'content': '', 'owner': None,
                                        'group': None, 'mode': '0644'}]))
    (tmp_path / 'd').write_text('a file')
    with pytest.raises(file_set.FileSetError, match='is not a directory'):
        file_set.run(FakeModule(directories=[{'path': str(tmp_path / 'd'), 'owner': None, 'group': None, 'mode': '0700'}]))


def test_absent_removes_trees_and_files_once(tmp_path):
    (tmp_path / 'tree' / 'sub').mkdir(parents=True)
    (tmp_path / 'file').write_text('x')
    params = dict(absent=[str(tmp_path / 'tree'), str(tmp_path / 'file'), str(tmp_path / 'never')])
    assert file_set.run(FakeModule(**params))['changed_paths'] == [str(tmp_path / 'tree'), str(tmp_path / 'file')]
    assert not (tmp_path / 'tree').exists() and not (tmp_path / 'file').exists()
    assert not file_set.run(FakeModule(**params))['changed']


def test_a_directory_another_host_makes_at_the_same_moment_is_no_error(tmp_path, monkeypatch):
    # two registry replicas make the directory on their shared file system at once (seen in the ha scenario:
    # "[Errno 17] File exists"); the real run cannot time it, so the other host's makedirs runs first here
    target = tmp_path / 'shared'
    real = os.makedirs

    def racing(path, mode=0o777, exist_ok=False):
        real(path, mode)
        return real(path, mode, exist_ok=exist_ok)

    monkeypatch.setattr(os, 'makedirs', racing)
    result = file_set.run(FakeModule(directories=[{'path': str(target), 'owner': None, 'group': None, 'mode': '0700'}]))
    assert result['changed'] and mode_of(target) == 0o700
