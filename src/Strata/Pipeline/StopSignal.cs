using System.Runtime.InteropServices;

namespace Strata.Pipeline;

/// <summary>
/// Ctrl+C or SIGTERM stops the run the way a failure does: the step in progress is cancelled through
/// <see cref="Token"/> and cleans up (its containers, the vault's temp folder and exported image, its linux.uml or QEMU)
/// instead of the process dying mid-way; the reports are still written. A second signal ends the process at once.
/// </summary>
public sealed class StopSignal : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly PosixSignalRegistration[] _registrations;

    private StopSignal(Action<string> say)
    {
        void OnSignal(PosixSignalContext signal)
        {
            if (_stop.IsCancellationRequested) return; // the second: the default, the process ends
            signal.Cancel = true;
            say($"strata: {signal.Signal}: stopping and cleaning up (again to quit at once)");
            _stop.Cancel();
        }
        _registrations = [PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal), PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal)];
    }

    /// <summary>Handles SIGINT and SIGTERM from now on, until disposed; <paramref name="say"/> tells the user (stderr).</summary>
    public static StopSignal Register(Action<string> say) => new(say);

    /// <summary>Cancelled at the first signal.</summary>
    public CancellationToken Token => _stop.Token;

    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
        _stop.Dispose();
    }
}
