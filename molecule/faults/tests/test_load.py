"""Load: 200 tags in 10 repositories signed by 4 signers at once through trust_key, trust_signer and
trust_sign; every tag verifies afterwards and a second run changes nothing. The figures go to
build/test-results/faults.json and the test log (docs/BENCHMARKS.md quotes them)."""
import re

from conftest import LOAD_REPOS, LOAD_TAGS, client_env, owner, registry_digest, run


def recap(output):
    """{host: changed count} from an ansible-playbook recap."""
    return {m.group(1): int(m.group(2)) for m in re.finditer(r'^(\S+)\s+: ok=\d+\s+changed=(\d+)', output, re.M)}


def test_every_one_of_200_tags_is_signed_by_its_signer_for_the_pushed_digest(load):
    assert len(load['baseline']) == 10
    for repo, tags in load['baseline'].items():
        assert sorted(tags) == LOAD_TAGS, repo
        for tag, (digest, signers) in tags.items():
            assert signers == (owner(repo),), f'{repo}:{tag}'
            assert digest == registry_digest(repo, tag), f'{repo}:{tag}: signed digest is not the pushed one'


def test_the_first_run_changed_every_signer_and_the_second_none(load):
    # key generated, signer added, tags signed: three changed tasks per signer
    assert recap(load['first'].stdout) == {s: 3 for s in load['assignments']}
    assert recap(load['second'].stdout) == {s: 0 for s in load['assignments']}


def test_a_content_trust_pull_of_a_tag_of_each_repository_verifies(load):
    for repo in LOAD_REPOS:
        env = dict(client_env(owner(repo)), DOCKER_CONTENT_TRUST='1')
        out = run(['docker', 'pull', f'{repo}:t20'], env=env)
        assert 'Tagging' in out.stdout or 'Pull (1 of 1)' in out.stdout, out.stdout
