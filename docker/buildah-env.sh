# Sourced by the docker/ and test/image/ scripts: one place that says where buildah keeps
# its images. vfs because overlay needs kernel support this sandbox may lack; the storage
# lives under .cache/ (gitignored) so the stand-in base survives between builds.
# Override with BUILDAH_ROOT / BUILDAH_RUNROOT / BUILDAH_DRIVER.
: "${repo:?repo must be set before sourcing buildah-env.sh}"
BUILDAH_ROOT=${BUILDAH_ROOT:-$repo/.cache/containers/storage}
BUILDAH_RUNROOT=${BUILDAH_RUNROOT:-$repo/.cache/containers/run}
BUILDAH_DRIVER=${BUILDAH_DRIVER:-vfs}
buildah_cmd() {
  buildah --root "$BUILDAH_ROOT" --runroot "$BUILDAH_RUNROOT" --storage-driver "$BUILDAH_DRIVER" "$@"
}
