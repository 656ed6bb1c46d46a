using System.Runtime.CompilerServices;

namespace TrialManager.Web.Features.Dsmb;

/// <summary>The closed report and the blinding indices shown with it, on the page and in the PDF.</summary>
public sealed record ClosedReading(DsmbReport Report, Blinding.BlindingReport Blinding);

/// <summary>
/// The closed report (with its blinding indices) of a shared reading (<see cref="DsmbSourceCache"/>), computed once: arms are opened once per
/// reading, not once per view. It lives exactly as long as its reading (a weak table keyed by it) and only in memory.
/// Only <see cref="ClosedReport"/> uses it, after its policy check; every view is still audited.
/// </summary>
public sealed class ClosedReportCache
{
    private readonly Lock _gate = new();
    private readonly ConditionalWeakTable<DsmbSource, Task<ClosedReading>> _reports = [];

    /// <param name="compute">
    /// Runs on the starting request's services (its user passed the policy check) and is not cancelled with it, since
    /// others may wait for it; the starting request therefore waits for it to the end, so those services outlive it.
    /// </param>
    public Task<ClosedReading> GetAsync(DsmbSource source, Func<Task<ClosedReading>> compute, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_reports.TryGetValue(source, out var shared) && !shared.IsFaulted && !shared.IsCanceled)
            {
                return shared.WaitAsync(cancellationToken);
            }

            var started = Task.Run(compute);
            _reports.AddOrUpdate(source, started);
            return started;
        }
    }
}
