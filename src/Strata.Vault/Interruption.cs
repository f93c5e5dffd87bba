namespace Strata.Vault;

/// <summary>
/// A signal that asks the current command to stop (SIGINT, SIGTERM, SIGHUP, SIGQUIT). Steps look at it between
/// two steps; a step that must not stop half way (a lock) runs under <see cref="Deferred"/>.
/// </summary>
public sealed class Interruption
{
    private volatile int _signal = -1;
    private volatile bool _deferred;

    public VaultSignal? Signal => _signal < 0 ? null : (VaultSignal)_signal;
    public bool Requested => _signal >= 0 && !_deferred;

    public void Request(VaultSignal signal) => Interlocked.CompareExchange(ref _signal, (int)signal, -1);

    /// <summary>From now on, signals are noted but do not stop the command (a teardown must finish).</summary>
    public void Defer() => _deferred = true;
    public bool Deferred => _deferred;

    public void ThrowIfRequested()
    {
        if (Requested) throw new InterruptedException(Signal!.Value);
    }
}

public sealed class InterruptedException(VaultSignal signal) : Exception($"interrupted by SIG{signal.ToString().ToUpperInvariant()}")
{
    public VaultSignal Signal { get; } = signal;
}
