namespace Strata.Smoke;

/// <summary>A machine that runs the vault scenario on an exported image (<see cref="GuestRoot"/>).</summary>
internal interface IVaultRuntime
{
    /// <summary>How the report names it ("KVM virtual machine", "User-Mode Linux").</summary>
    string Name { get; }

    /// <summary>Asks, and may try a cheap boot, without running the scenario: null when it can run here, else why not and the fix.</summary>
    Task<RuntimeUnavailable?> ProbeAsync(GuestRoot root, VaultRun run, VaultRunOutput output, CancellationToken ct);

    /// <summary>Runs the scenario; its lines go to <paramref name="output"/>, its verdict is the scenario's. Stops by itself within <paramref name="left"/>.</summary>
    Task RunAsync(GuestRoot root, VaultRun run, TimeSpan left, VaultRunOutput output, CancellationToken ct);
}
