# Shared by the build benchmarks (source it after setting root and work): packs this checkout's packages into a
# private feed and copies the ImageClassifier sample as a standalone app that restores only from that feed, with the
# machine's package cache as a read-only fallback so ONNX Runtime is not downloaded again.

version="0.1.0-bench.$(date -u +%Y%m%d%H%M%S)"
export NUGET_PACKAGES="$work/packages"
fallback="$(dotnet nuget locals global-packages --list | sed 's/^global-packages: //')"

pack_packages() {
  for project in Optimizer.Build Optimizer.Runtime; do
    dotnet pack "$root/src/$project/$project.csproj" -c Release -p:Version="$version" -o "$work/feed" \
      --artifacts-path "$work/artifacts" -nodeReuse:false --disable-build-servers -tl:off -v:q >/dev/null
  done
}

copy_sample_app() { # $1: destination folder
  cp -r "$root/samples/ImageClassifier" "$1"
  rm -rf "$1/bin" "$1/obj" "$1/nuget.config"
  printf '<Project><PropertyGroup><OptimizerVersion>%s</OptimizerVersion></PropertyGroup></Project>\n' "$version" > "$1/Directory.Build.props"
  echo '<Project />' > "$1/Directory.Build.targets"
  echo '<Project />' > "$1/Directory.Packages.props"
  cat > "$1/nuget.config" <<CONFIG
<configuration>
  <packageSources><clear /><add key="feed" value="$work/feed" /></packageSources>
  <fallbackPackageFolders><add key="machine" value="$fallback" /></fallbackPackageFolders>
</configuration>
CONFIG
}
