/** Where the init container mounts the whole run volume; steps see only its `workspace/` at /workspace. */
export const VOLUME_ROOT = '/kiln';
export const WORKSPACE_SUBPATH = 'workspace';

/**
 * The init container's script. Every first-step pod of a run carries it, so it must be idempotent
 * and safe to run twice at once: a lock on the volume serialises concurrent pods, and a marker
 * outside the work tree says the checkout is complete (a half-done one is wiped and redone).
 * No \`git maintenance\` after a fetch: the volume lives for one run.
 * Quiet on success; on failure git's own message is printed with credentials removed from URLs.
 * Inputs (env): KILN_REPO_URL (from a Secret), KILN_COMMIT_SHA, KILN_GIT_REF; git's hardened
 * environment (GIT_ENV of @kiln/git) is set on the container.
 */
export const CHECKOUT_SCRIPT = `set -eu
umask 0002
state=${VOLUME_ROOT}/.kiln
work=${VOLUME_ROOT}/${WORKSPACE_SUBPATH}
mkdir -p "$state" "$work"
exec 9>"$state/checkout.lock"
flock 9
if [ -f "$state/checkout-done" ]; then exit 0; fi
cd "$work"
find . -mindepth 1 -maxdepth 1 -exec rm -rf {} +
redact() { sed -E 's#//[^/@[:space:]]*@#//***@#g' "$state/git.err" >&2; }
git_quiet() { git "$@" 2>"$state/git.err" || { status=$?; redact; return $status; }; }
wanted="\${KILN_COMMIT_SHA:-$KILN_GIT_REF}"
git_quiet init -q
if git_quiet fetch -q --no-auto-maintenance --depth 1 -- "$KILN_REPO_URL" "$wanted"; then
  git_quiet checkout -q --detach FETCH_HEAD
else
  echo "shallow fetch of $wanted refused; fetching all branches and tags" >&2
  git_quiet fetch -q --no-auto-maintenance -- "$KILN_REPO_URL" '+refs/heads/*:refs/remotes/origin/*' '+refs/tags/*:refs/tags/*'
  if [ -n "\${KILN_COMMIT_SHA:-}" ]; then
    git_quiet checkout -q --detach "$KILN_COMMIT_SHA"
  else
    git_quiet checkout -q --detach "origin/\${KILN_GIT_REF#refs/heads/}"
  fi
fi
touch "$state/checkout-done"
`;

/** Copies the given workspace paths (or all of it) to stdout as a tar stream; missing paths are skipped. */
export const COLLECT_SCRIPT = `set -eu
cd /workspace
n=$#
i=0
while [ "$i" -lt "$n" ]; do
  p=$1
  shift
  if [ -e "$p" ]; then set -- "$@" "$p"; fi
  i=$((i + 1))
done
if [ "$#" -eq 0 ]; then exec tar -cf - -T /dev/null; fi
exec tar -cf - -- "$@"
`;
