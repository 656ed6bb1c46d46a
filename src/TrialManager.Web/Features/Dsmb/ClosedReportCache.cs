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

    /// <param name="compute">Runs on its own, not cancelled with the request that started it, since others may wait for it.</param>
    public Task<ClosedReading> GetAsync(DsmbSource source, Func<Task<ClosedReading>> compute, CancellationToken cancellationToken)
    {
        Task<ClosedReading> report;
        lock (_gate)
        {
            if (!_reports.TryGetValue(source, out report!) || report.IsFaulted || report.IsCanceled)
            {
                report = Task.Run(compute);
                _reports.AddOrUpdate(source, report);
            }
        }

        return report.WaitAsync(cancellationToken);
    }
}
