namespace Strata.Vault;

/// <summary>Wall time and sleeping (waits for the kernel's work queues); the tests' clock advances at once.</summary>
public interface IClock
{
    DateTimeOffset Now { get; }
    void Sleep(TimeSpan duration);
}

public sealed class SystemClock : IClock
{
    public DateTimeOffset Now => DateTimeOffset.UtcNow;
    public void Sleep(TimeSpan duration) => Thread.Sleep(duration);
}
