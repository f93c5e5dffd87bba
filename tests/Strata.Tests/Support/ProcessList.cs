namespace Strata.Tests.Support;

/// <summary>The host's processes, read from /proc: what a test asserts is gone after a run.</summary>
public static class ProcessList
{
    /// <summary>Every process whose command line names <paramref name="text"/> ("pid: command line").</summary>
    public static List<string> Mentioning(string text)
    {
        var found = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out _)) continue;
            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (cmdline.Contains(text, StringComparison.Ordinal)) found.Add($"{Path.GetFileName(dir)}: {cmdline}");
            }
            catch (IOException)
            {
                // the process ended while it was read
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        return found;
    }
}
