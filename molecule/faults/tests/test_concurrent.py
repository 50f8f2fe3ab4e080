"""Concurrent signers on one repository: 4 signers, each an inventory host with its own trust directory, sign 25
different tags each of the same repository at once, each in one trust_sign task (one publish). notary accepts one
publish per version and refuses the others (400); trust_sign publishes again on the newest metadata, so no tag is
lost. Read back with an empty trust cache and compared with the registry; a second run changes nothing."""
import re
import time

from conftest import REGISTRY, SIGNERS, build_images, record, registry_digest, sign, signed
from test_load import recap

REPO = f'{REGISTRY}/concurrent/shared'
TAGS = {signer: [f'{signer}-{i:02d}' for i in range(1, 26)] for signer in SIGNERS}


def test_four_signers_at_once_on_one_repository_lose_no_tag(load, tmp_path):  # load: the signers' clients
    build_images(REPO, [tag for tags in TAGS.values() for tag in tags])
    assignments = {signer: [{'repository': REPO, 'tags': tags}] for signer, tags in TAGS.items()}
    # signer1's trust directory holds the repository's root and targets keys: it makes all four signers of it
    administers = {'signer1': [{'repository': REPO, 'signers': list(SIGNERS)}]}
    started = time.monotonic()
    first = sign(assignments, administers=administers)
    signed_at = time.monotonic()
    second = sign(assignments, administers=administers)
    # each signer says how many of its publishes the server refused (and trust_sign made again)
    refused = sum(int(n) for n in re.findall(r'publishes refused: (\d+)', first.stdout))
    record('4 signers on one repository', tags=100, sign_seconds=round(signed_at - started, 1),
           rerun_seconds=round(time.monotonic() - signed_at, 1), publishes_refused_and_made_again=refused)
    now = signed([REPO], tmp_path)[REPO]
    wanted = {tag: signer for signer, tags in TAGS.items() for tag in tags}
    assert sorted(now) == sorted(wanted), f'missing: {sorted(set(wanted) - set(now))}'
    for tag, signer in wanted.items():
        digest, signers = now[tag]
        assert signers == (signer,), f'{tag}: signed by {signers}'
        assert digest == registry_digest(REPO, tag), f'{tag}: the signed digest is not the registry\'s'
    assert recap(second.stdout) == {signer: 0 for signer in SIGNERS}, second.stdout[-3000:]
    assert len(re.findall(r'publishes refused: \d+', first.stdout)) == len(SIGNERS)
