using System.Globalization;
using Microsoft.EntityFrameworkCore;
using TrialManager.Documents;
using TrialManager.Domain.Supply;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Documents;

namespace TrialManager.Web.Features.Supply;

/// <summary>
/// Everything the printed accountability log holds. It carries no protocol (so no list of arms) and nothing of a kit's
/// seal; every count is pooled over the site's kits.
/// </summary>
public sealed record AccountabilityLogData(
    string TrialCode,
    string SiteCode,
    string SiteName,
    int UnitsPerKit,
    UnitBalance Balance,
    IReadOnlyList<Discrepancy> Findings,
    IReadOnlyList<AccountabilityKit> Kits,
    IReadOnlyList<LedgerLine> Lines,
    IReadOnlyList<KitDestruction> Destructions,
    int DestructionsAwaitingWitness,
    string ReaderName)
{
    public bool IsReconciled => Findings.Count == 0;
}

/// <summary>
/// The printable drug accountability log of one trial site: the unit balance and its reconciliation, kits by state
/// (pooled, never by arm), every kit, every log line in order with the running units on site (replayed through the
/// domain's <see cref="KitLedger"/>), and the witnessed destructions. Same access as the site's accountability page:
/// site staff for their own sites, the data manager for all; anyone else is refused.
/// </summary>
public sealed class AccountabilityLogPdf(SupplyAccess access, SupplyOverview overview, CurrentUser me, TimeProvider clock, PdfDownloads downloads)
{
    public async Task<IResult> DownloadAsync(string trialCode, string siteCode, CancellationToken cancellationToken)
    {
        AccountabilityLogData data;
        Guid trialId, siteId;
        try
        {
            (data, trialId, siteId) = await LoadAsync(trialCode, siteCode, cancellationToken);
        }
        catch (OperationForbiddenException)
        {
            // As on the page: another site's log, or one that does not exist, is the same 404.
            return Results.NotFound();
        }

        var stamp = clock.GetUtcNow().UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        return await downloads.SendAsync(
            new DocumentRequest(Build(data), "ACCOUNTABILITY", $"{data.TrialCode}-{data.SiteCode}-accountability-{stamp}.pdf", "AccountabilityLog", siteId.ToString(), trialId, siteId),
            cancellationToken);
    }

    /// <summary>
    /// Reads the log's data after the access check (which throws <see cref="OperationForbiddenException"/> when refused),
    /// through the same read as the accountability page.
    /// </summary>
    public async Task<(AccountabilityLogData Data, Guid TrialId, Guid SiteId)> LoadAsync(string trialCode, string siteCode, CancellationToken cancellationToken)
    {
        var site = await access.SiteAsync(trialCode, siteCode, Policies.Accountability, cancellationToken);
        var view = await overview.LoadAccountabilityAsync(site, cancellationToken);
        var data = new AccountabilityLogData(
            site.TrialCode, site.SiteCode, site.SiteName, site.Protocol.Kits.UnitsPerKit,
            view.Reconciliation.Balance, view.Reconciliation.Findings, view.Kits, view.Lines,
            [.. view.Destructions.Where(d => d.Status == DestructionStatus.Witnessed).OrderBy(d => d.WitnessedAt)],
            view.Destructions.Count(d => d.Status == DestructionStatus.AwaitingWitness),
            me.DisplayName);
        return (data, site.TrialId, site.SiteId);
    }

    /// <summary>The document. Nothing here takes an arm: the data it is given holds none.</summary>
    public static ReportDocument Build(AccountabilityLogData data)
    {
        var document = new ReportDocument("Drug accountability log")
        {
            Subject = "Site drug accountability log",
            Orientation = PageOrientation.Landscape,
            Banner = data.IsReconciled ? null : $"NOT RECONCILED: {Count(data.Findings.Count, "finding")}",
        }
            .AddContext("Trial", data.TrialCode)
            .AddContext("Site", $"{data.SiteCode} ({data.SiteName})")
            .AddContext("Reconciliation", data.IsReconciled ? "Reconciled" : $"Not reconciled ({Count(data.Findings.Count, "finding")})")
            .AddContext("Requested by", data.ReaderName);

        document.Add(Balance(data));
        document.Add([.. KitsByState(data.Kits)]);
        document.Add(KitTable(data.Kits));
        document.Add(LogTable(data.Lines));
        document.Add([.. DestructionBlocks(data)]);
        return document;
    }

    /// <summary>The equation as printed, e.g. "Received 240 = on site 228 + with participants 12 + consumed 0 + destroyed 0 + lost 0".</summary>
    public static string BalanceLine(UnitBalance b) => string.Create(
        CultureInfo.InvariantCulture,
        $"Received {b.Received} = on site {b.OnSite} + with participants {b.WithParticipants} + consumed {b.Consumed} + destroyed {b.Destroyed} + lost {b.Lost}");

    public static string StateLabel(KitState state) => state switch
    {
        KitState.AtDepot => "At depot",
        KitState.InTransit => "In transit",
        KitState.AtSite => "At site",
        _ => state.ToString(),
    };

    private static Block[] Balance(AccountabilityLogData data)
    {
        var b = data.Balance;
        var blocks = new List<Block>
        {
            new Heading("Unit balance"),
            new KeyValueList(
                new KeyValueRow("Received", Units(b.Received)),
                new KeyValueRow("On site", Units(b.OnSite)),
                new KeyValueRow("With participants", Units(b.WithParticipants)),
                new KeyValueRow("Consumed", Units(b.Consumed)),
                new KeyValueRow("Destroyed", Units(b.Destroyed)),
                new KeyValueRow("Lost", Units(b.Lost)))
            { LabelWidth = 0.25 },
            new Paragraph(
                new TextRun(BalanceLine(b)),
                new TextRun(b.Holds ? " (the equation holds)." : " (THE EQUATION DOES NOT HOLD).", b.Holds ? TextStyle.Regular : TextStyle.Bold)),
            new Paragraph(string.Create(CultureInfo.InvariantCulture, $"A kit holds {data.UnitsPerKit} units. On site counts kits at site, quarantined, returned, damaged and expired; consumed is what participants did not bring back.")) { Small = true },
            data.IsReconciled
                ? new Paragraph("Reconciled: the log obeys the ledger rules, the equation holds, and every kit's record agrees with the log.", TextStyle.Bold)
                : new Paragraph($"NOT RECONCILED: {Count(data.Findings.Count, "finding")} below must be resolved.", TextStyle.Bold),
        };
        if (data.Findings.Count > 0)
        {
            blocks.Add(new Table(
                [new TableColumn("Issue", 1.4), new TableColumn("Kit", 0.9), new TableColumn("Finding", 6)],
                [.. data.Findings.Select(f => new TableRow(f.Issue.ToString(), f.KitCode ?? "(site)", f.Description))])
            { Title = "Reconciliation findings", Compact = true });
        }

        return [.. blocks];
    }

    private static IEnumerable<Block> KitsByState(IReadOnlyList<AccountabilityKit> kits)
    {
        yield return new Heading("Kits by state");
        yield return new Paragraph("Counted over all the site's kits together; kits are blinded, so no count is given by treatment.") { Small = true };
        var states = new[] { KitState.InTransit, KitState.AtSite, KitState.Quarantined, KitState.Dispensed, KitState.Returned, KitState.Damaged, KitState.Expired, KitState.Lost, KitState.Destroyed };
        var rows = states.Select(s =>
        {
            var inState = kits.Where(k => k.State == s).ToList();
            return new TableRow(StateLabel(s), Number(inState.Count), Number(inState.Sum(k => k.Units)));
        }).ToList();
        rows.Add(new TableRow("All kits", Number(kits.Count), Number(kits.Sum(k => k.Units))) { Bold = true });
        yield return new Table(
            [new TableColumn("State", 2), new TableColumn("Kits", 1, CellAlignment.Right), new TableColumn("Units in them now", 1.4, CellAlignment.Right)],
            rows)
        { Compact = true };
    }

    private static Block[] KitTable(IReadOnlyList<AccountabilityKit> kits)
    {
        if (kits.Count == 0)
        {
            return [new Heading("Kits"), new Paragraph("The site has no kits.")];
        }

        return
        [
            new Heading("Kits"),
            new Table(
                [
                    new TableColumn("Kit", 1), new TableColumn("Lot", 1.6), new TableColumn("Expires", 1), new TableColumn("State", 1),
                    new TableColumn("Units", 0.6, CellAlignment.Right), new TableColumn("Participant", 1.1), new TableColumn("Dispensed at (UTC)", 1.5), new TableColumn("Dispensed by", 1.8),
                ],
                [.. kits.Select(k => new TableRow(
                    k.Code,
                    k.LotNumber ?? "",
                    DocumentSections.Date(k.ExpiresOn),
                    StateLabel(k.State),
                    Number(k.Units),
                    k.ParticipantNumber ?? "",
                    k.DispensedAt is { } at ? DocumentSections.Utc(at) : "",
                    k.DispensedBy ?? ""))])
            { Compact = true },
        ];
    }

    private static Block[] LogTable(IReadOnlyList<LedgerLine> lines)
    {
        if (lines.Count == 0)
        {
            return [new Heading("Accountability log"), new Paragraph("The log has no lines yet.")];
        }

        var previous = 0;
        var rows = new List<TableRow>(lines.Count);
        for (var i = 0; i < lines.Count; i++)
        {
            var (e, onSite, refusal) = lines[i];
            var change = onSite - previous;
            previous = onSite;
            var reason = refusal is null ? e.Reason : $"REFUSED BY THE LEDGER RULES: {refusal}{(e.Reason.Length > 0 ? " Reason given: " + e.Reason : "")}";
            rows.Add(new TableRow(
                Number(i + 1),
                e.At.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                e.KitCode,
                e.Kind.ToString(),
                e.Units is { } units ? Number(units) : "",
                change == 0 ? "0" : change.ToString("+0;-0", CultureInfo.InvariantCulture),
                e.ParticipantNumber,
                e.ByName,
                reason,
                Number(onSite))
            { Bold = refusal is not null });
        }

        return
        [
            new Heading("Accountability log"),
            new Paragraph("Every line in the order it was recorded. Units are those received or counted back; change and on site are the units in the site's custody, replayed line by line through the ledger's rules.") { Small = true },
            new Table(
                [
                    new TableColumn("#", 0.5, CellAlignment.Right), new TableColumn("When (UTC)", 1.45), new TableColumn("Kit", 0.9), new TableColumn("Event", 1),
                    new TableColumn("Units", 0.55, CellAlignment.Right), new TableColumn("Change", 0.65, CellAlignment.Right), new TableColumn("Participant", 1),
                    new TableColumn("By", 1.4), new TableColumn("Reason", 3), new TableColumn("On site", 0.7, CellAlignment.Right),
                ],
                rows)
            { Compact = true },
        ];
    }

    private static IEnumerable<Block> DestructionBlocks(AccountabilityLogData data)
    {
        yield return new Heading("Witnessed destructions");
        if (data.Destructions.Count == 0)
        {
            yield return new Paragraph("No destruction has been witnessed at this site.");
        }
        else
        {
            yield return new Table(
                [new TableColumn("Recorded (UTC)", 1.3), new TableColumn("Recorded by", 1.4), new TableColumn("Witnessed (UTC)", 1.3), new TableColumn("Witnessed by", 1.4), new TableColumn("Method", 2), new TableColumn("Kits (units)", 3)],
                [.. data.Destructions.Select(d => new TableRow(
                    DocumentSections.Utc(d.RecordedAt),
                    d.RecordedByName,
                    d.WitnessedAt is { } at ? DocumentSections.Utc(at) : "",
                    d.WitnessName ?? "",
                    string.IsNullOrEmpty(d.Note) ? d.Method : $"{d.Method}. {d.Note}",
                    $"{Count(d.Kits.Count, "kit")}: {string.Join(", ", d.Kits.OrderBy(k => k.KitCode, StringComparer.Ordinal).Select(k => string.Create(CultureInfo.InvariantCulture, $"{k.KitCode} ({k.Units})")))}"))])
            { Compact = true };
        }

        if (data.DestructionsAwaitingWitness > 0)
        {
            yield return new Paragraph($"{Count(data.DestructionsAwaitingWitness, "recorded destruction")} awaiting a witness; their kits are not destroyed until a second person witnesses it.") { Small = true };
        }
    }

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Units(int value) => value == 1 ? "1 unit" : $"{Number(value)} units";

    private static string Count(int value, string noun) => value == 1 ? $"1 {noun}" : $"{Number(value)} {noun}s";
}
