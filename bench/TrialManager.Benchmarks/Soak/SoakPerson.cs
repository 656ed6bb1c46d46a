using System.Diagnostics;
using TrialManager.Domain.Access;

namespace TrialManager.Benchmarks.Soak;

/// <summary>What the simulated people share: the trial, the sites' participants, the ledger and the clock.</summary>
internal sealed record SoakShared(SoakTrial Trial, IReadOnlyDictionary<string, SoakSite> Sites, IReadOnlyList<SoakVisitStep> Steps, SoakLedger Ledger, SoakOptions Options, Stopwatch Clock)
{
    /// <summary>A site picked at random (for trial-wide readers).</summary>
    public SoakSite AnySite(Random random) => Sites.Values.ElementAt(random.Next(Sites.Count));
}

/// <summary>
/// One simulated person at work for the length of the soak: signs in once, then picks an operation from their role's
/// menu (weighted as a working day would be), does it through the pages, pauses as a person reading would, and goes
/// on. An operation that meets an unexpected answer stops there and is counted as an error; the person carries on.
/// </summary>
internal sealed partial class SoakPerson(SoakPart part, SoakBrowser browser, SoakShared shared, int seed)
{
    private readonly Random _random = new(seed);
    private readonly SoakSite? _site = part.SiteCode is null ? null : shared.Sites[part.SiteCode];

    /// <summary>One thing a person does; false when there is nothing to do it on yet (e.g. no adverse event reported), so another is done instead.</summary>
    private sealed record Operation(string Name, int Weight, Func<SoakPerson, Task<bool>> Run);

    public SoakPart Part => part;

    private static IReadOnlyList<Operation> Menu(string role) => role switch
    {
        TrialRoles.SiteCoordinator =>
        [
            new(SoakOperations.Enrol, 16, p => p.EnrolAsync()),
            new(SoakOperations.Visit, 30, p => p.VisitAsync()),
            new(SoakOperations.AdverseEvent, 7, p => p.ReportAdverseEventAsync()),
            new(SoakOperations.FollowUp, 5, p => p.FollowUpAsync()),
            new(SoakOperations.VisitCrfPdf, 5, p => p.VisitCrfPdfAsync()),
            new(SoakOperations.CasebookPdf, 4, p => p.CasebookPdfAsync()),
            new(SoakOperations.SaeReportPdf, 3, p => p.SaeReportPdfAsync()),
            new(SoakOperations.BlankCrfPdf, 2, p => p.BlankCrfPdfAsync()),
            new(SoakOperations.Worklist, 10, p => p.ReadAsync("/worklist")),
            new(SoakOperations.Timeline, 12, p => p.TimelineAsync()),
            new(SoakOperations.ParticipantList, 6, p => p.ReadAsync("/participants")),
        ],
        TrialRoles.Investigator =>
        [
            new(SoakOperations.Visit, 36, p => p.VisitAsync()),
            new(SoakOperations.AdverseEvent, 9, p => p.ReportAdverseEventAsync()),
            new(SoakOperations.FollowUp, 7, p => p.FollowUpAsync()),
            new(SoakOperations.VisitCrfPdf, 6, p => p.VisitCrfPdfAsync()),
            new(SoakOperations.CasebookPdf, 5, p => p.CasebookPdfAsync()),
            new(SoakOperations.SaeReportPdf, 4, p => p.SaeReportPdfAsync()),
            new(SoakOperations.BlankCrfPdf, 2, p => p.BlankCrfPdfAsync()),
            new(SoakOperations.Worklist, 12, p => p.ReadAsync("/worklist")),
            new(SoakOperations.Timeline, 13, p => p.TimelineAsync()),
            new(SoakOperations.ParticipantList, 6, p => p.ReadAsync("/participants")),
        ],
        TrialRoles.DataManager =>
        [
            new(SoakOperations.ParticipantList, 15, p => p.ReadAsync("/participants")),
            new(SoakOperations.Timeline, 25, p => p.TimelineAsync()),
            new(SoakOperations.FormPage, 15, p => p.FormPageAsync()),
            new(SoakOperations.CasebookPdf, 10, p => p.CasebookPdfAsync()),
            new(SoakOperations.VisitCrfPdf, 10, p => p.VisitCrfPdfAsync()),
            new(SoakOperations.AdverseEventList, 10, p => p.ReadAsync("/adverse-events")),
            new(SoakOperations.BlankCrfPdf, 5, p => p.BlankCrfPdfAsync()),
            new(SoakOperations.TrialPage, 10, p => p.ReadAsync($"/trials/{SoakTrial.Code}")),
        ],
        TrialRoles.SafetyOfficer =>
        [
            new(SoakOperations.SafetyDashboard, 35, p => p.ReadAsync("/safety")),
            new(SoakOperations.AdverseEventList, 20, p => p.ReadAsync("/adverse-events")),
            new(SoakOperations.AdverseEventPage, 25, p => p.AdverseEventPageAsync()),
            new(SoakOperations.SaeReportPdf, 15, p => p.SaeReportPdfAsync()),
            new(SoakOperations.Timeline, 5, p => p.TimelineAsync()),
        ],
        TrialRoles.DsmbMember =>
        [
            new(SoakOperations.DsmbReports, 15, p => p.ReadAsync("/dsmb")),
            new(SoakOperations.DsmbOpen, 35, p => p.ReadAsync($"/trials/{SoakTrial.Code}/dsmb/open")),
            new(SoakOperations.DsmbClosed, 35, p => p.ReadAsync($"/trials/{SoakTrial.Code}/dsmb/closed")),
            new(SoakOperations.DsmbPdf, 15, p => p.DsmbPdfAsync()),
        ],
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, "no menu"),
    };

    /// <summary>What a person does when the operation drawn has nothing to work on yet: a read that always has.</summary>
    private static Operation Fallback(string role) => role switch
    {
        TrialRoles.SiteCoordinator or TrialRoles.Investigator => new(SoakOperations.Worklist, 0, p => p.ReadAsync("/worklist")),
        TrialRoles.SafetyOfficer => new(SoakOperations.SafetyDashboard, 0, p => p.ReadAsync("/safety")),
        TrialRoles.DsmbMember => new(SoakOperations.DsmbReports, 0, p => p.ReadAsync("/dsmb")),
        _ => new(SoakOperations.ParticipantList, 0, p => p.ReadAsync("/participants")),
    };

    /// <summary>Works until <paramref name="until"/> on the shared clock; the operation under way when it comes is finished.</summary>
    public async Task WorkAsync(TimeSpan until)
    {
        var menu = Menu(part.Role);
        var fallback = Fallback(part.Role);
        var total = menu.Sum(o => o.Weight);
        var signedIn = false;
        while (shared.Clock.Elapsed < until)
        {
            if (!signedIn)
            {
                signedIn = await AttemptAsync(SoakOperations.SignIn, () => browser.SignInAsync(part.Email, shared.Trial.Password, shared.Trial.AuthenticatorKey(part)));
            }
            else
            {
                var draw = _random.Next(total);
                var operation = menu.First(o => (draw -= o.Weight) < 0);
                var name = operation.Name;
                await AttemptAsync(operation.Name, async () =>
                {
                    if (!await operation.Run(this))
                    {
                        name = fallback.Name;
                        await fallback.Run(this);
                    }
                }, () => name);
            }

            var think = shared.Options.ThinkMin + ((shared.Options.ThinkMax - shared.Options.ThinkMin) * _random.NextDouble());
            var left = until - shared.Clock.Elapsed;
            if (left > TimeSpan.Zero)
            {
                await Task.Delay(think < left ? think : left);
            }
        }
    }

    private async Task<bool> AttemptAsync(string operation, Func<Task> work, Func<string>? finalName = null)
    {
        try
        {
            await work();
            shared.Ledger.Done(finalName?.Invoke() ?? operation);
            return true;
        }
        catch (UnexpectedAnswerException failure)
        {
            shared.Ledger.Failed(part.Email, finalName?.Invoke() ?? operation, failure);
        }
        catch (Exception e)
        {
            // A page the steps could not read as expected (a missing element, an unparsable value) is an error too.
            var name = finalName?.Invoke() ?? operation;
            shared.Ledger.Error(new SoakError(shared.Clock.Elapsed, part.Email, name, "", "", null, $"{e.GetType().Name}: {e.Message}"), name);
        }

        return false;
    }
}

/// <summary>The operations' names, as the report and the CI test count them.</summary>
public static class SoakOperations
{
    public const string SignIn = "sign-in";
    public const string Enrol = "enrol (register, screen, randomize)";
    public const string Visit = "visit (record, dispense, forms)";
    public const string AdverseEvent = "adverse event report";
    public const string FollowUp = "adverse event follow-up";
    public const string VisitCrfPdf = "visit CRF PDF";
    public const string CasebookPdf = "casebook PDF";
    public const string SaeReportPdf = "SAE report PDF";
    public const string BlankCrfPdf = "blank CRF PDF";
    public const string DsmbPdf = "DSMB report PDF";
    public const string Worklist = "worklist";
    public const string Timeline = "participant timeline";
    public const string ParticipantList = "participant list";
    public const string FormPage = "form page";
    public const string AdverseEventList = "adverse event list";
    public const string AdverseEventPage = "adverse event page";
    public const string SafetyDashboard = "safety dashboard";
    public const string DsmbReports = "DSMB reports";
    public const string DsmbOpen = "DSMB open report";
    public const string DsmbClosed = "DSMB closed report";
    public const string TrialPage = "trial page";
}
