namespace Strata.Tests.Support;

/// <summary>
/// A lock held across the test processes the test target runs side by side (its lanes): an exclusive
/// flock on a file in the temp folder, so two lanes never build the real chain or the base OS at once
/// (the second waits, then reuses what the first built).
/// </summary>
public static class CrossProcessLock
{
    public static async Task<IDisposable> AcquireAsync(string name, CancellationToken ct = default)
    {
        var path = Path.Combine(Path.GetTempPath(), $"strata-tests-{name}.lock");
        while (true)
        {
            try
            {
                // On Unix, FileShare.None is an exclusive flock: released when the stream is closed or the process ends.
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                await Task.Delay(250, ct);
            }
        }
    }
}
