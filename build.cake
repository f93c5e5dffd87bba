// The entry for `dotnet cake` (how Cake users start a build): it runs ./build.sh with the same
// arguments, which builds the Strata library when it is missing or stale and then runs the real
// script, build/strata.cake. ./build.sh runs that script directly, so its no-op path pays for one
// Cake start only.
var args = Environment.GetCommandLineArgs().Skip(1)                     // Cake.dll
    .SkipWhile(a => a.EndsWith(".cake", StringComparison.OrdinalIgnoreCase)) // this script, when named
    .ToArray();
var bootstrapper = new System.Diagnostics.ProcessStartInfo(
    System.IO.Path.Combine(Context.Environment.WorkingDirectory.FullPath, "build.sh")) { UseShellExecute = false };
foreach (var arg in args) bootstrapper.ArgumentList.Add(arg);
using (var process = System.Diagnostics.Process.Start(bootstrapper))
{
    process.WaitForExit();
    if (process.ExitCode != 0) throw new Exception($"./build.sh exited {process.ExitCode} (its output above says why).");
}
