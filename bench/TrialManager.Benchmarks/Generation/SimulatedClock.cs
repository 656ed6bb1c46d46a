namespace TrialManager.Benchmarks.Generation;

/// <summary>
/// The app's clock during generation. Each worker lives in its own participant's timeline, so "now" is an
/// <see cref="AsyncLocal{T}"/>: set it before an operation and that operation (and only the work flowing from it) sees
/// that moment. Where nothing is set (hosted services, Identity), it is the real time.
/// </summary>
public sealed class SimulatedClock : TimeProvider
{
    private readonly AsyncLocal<DateTimeOffset?> _now = new();

    /// <summary>The simulated moment for the current flow of work, or null for the real time.</summary>
    public DateTimeOffset? Now
    {
        get => _now.Value;
        set => _now.Value = value;
    }

    public override DateTimeOffset GetUtcNow() => _now.Value ?? base.GetUtcNow();
}
