using System.Xml.Linq;

namespace Strata.TestRun;

/// <summary>The counts of a test run, added up from its TRX files; <see cref="ToString"/> is CI's closing line.</summary>
public sealed record TestSummary(int Passed, int Failed, int Skipped)
{
    public static TestSummary FromTrxDirectory(string directory)
    {
        int passed = 0, failed = 0, skipped = 0;
        if (!Directory.Exists(directory)) return new TestSummary(0, 0, 0);
        foreach (var trx in Directory.EnumerateFiles(directory, "*.trx", SearchOption.AllDirectories))
        {
            var counters = XDocument.Load(trx).Descendants().FirstOrDefault(e => e.Name.LocalName == "Counters")
                ?? throw new InvalidDataException($"{trx} has no Counters element: the test run did not finish writing it.");
            int Count(string name) => int.Parse(counters.Attribute(name)?.Value ?? "0", System.Globalization.CultureInfo.InvariantCulture);
            passed += Count("passed");
            // Errors, timeouts and aborted tests are failures too: nothing may hide a broken test.
            failed += Count("failed") + Count("error") + Count("timeout") + Count("aborted");
            skipped += Count("notExecuted");
        }
        return new TestSummary(passed, failed, skipped);
    }

    /// <summary>A run passed when something ran and nothing failed.</summary>
    public bool Succeeded => Passed > 0 && Failed == 0;

    public override string ToString() => $"{Passed} passed, {Failed} failed, {Skipped} skipped";
}
