// The end-to-end tests share one packed feed and run dotnet builds that each use both cores: run them one at a time.
[assembly: DoNotParallelize]
