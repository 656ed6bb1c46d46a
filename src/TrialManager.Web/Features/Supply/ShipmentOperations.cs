using System.Globalization;
using Microsoft.EntityFrameworkCore;
using TrialManager.Domain.Access;
using TrialManager.Domain.Supply;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Notifications;
using TrialManager.Web.Features.Protocols;

namespace TrialManager.Web.Features.Supply;

/// <summary>Reads a shipment under a row lock, so two people acting on it at once act one after the other.</summary>
internal static class ShipmentLock
{
    public static async Task<Shipment> LockAsync(TrialDbContext db, Guid shipmentId, CancellationToken cancellationToken) =>
        (await db.Shipments.FromSql($"""SELECT * FROM "Shipments" WHERE "Id" = {shipmentId} FOR UPDATE""").ToListAsync(cancellationToken)).Single();

    public static async Task<List<Kit>> KitsAsync(TrialDbContext db, Guid shipmentId, CancellationToken cancellationToken) =>
        await db.Kits.Where(k => db.ShipmentKits.Any(l => l.ShipmentId == shipmentId && l.KitId == k.Id)).ToListAsync(cancellationToken);

    public static async Task NotifySiteAsync(TrialDbContext db, Notifier notifier, Guid siteId, string subject, string body, string link, CancellationToken cancellationToken)
    {
        var members = await db.SiteMemberships.Where(m => m.SiteId == siteId).Select(m => m.UserId).ToListAsync(cancellationToken);
        await notifier.NotifyUsersAsync(members, subject, body, link, db.CurrentActor, cancellationToken);
    }
}

/// <summary>The depot sends a proposed shipment: its kits leave the depot and are in transit to the site.</summary>
public sealed class ShipShipment(TrialDbContext db, SupplyAccess access, SupplyLedger ledger, Notifier notifier, CurrentUser me, TimeProvider clock)
{
    public async Task<OperationResult> ExecuteAsync(Guid shipmentId, string? carrier, string? trackingNumber, CancellationToken cancellationToken = default)
    {
        await access.ShipmentAsync(shipmentId, Policies.DepotWork, tracked: false, cancellationToken);
        carrier = carrier?.Trim() ?? "";
        trackingNumber = trackingNumber?.Trim() ?? "";
        var result = new OperationResult();
        if (carrier.Length is 0 or > 100)
        {
            result.Add("Carrier", "Name the carrier (at most 100 characters).");
        }

        if (trackingNumber.Length > 100)
        {
            result.Add("TrackingNumber", "The tracking number is at most 100 characters.");
        }

        if (!result.Succeeded)
        {
            return result;
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var shipment = await ShipmentLock.LockAsync(db, shipmentId, cancellationToken);
        if (shipment.Status != ShipmentStatus.Requested)
        {
            return OperationResult.Fail("", $"This shipment is {shipment.Status.ToString().ToLowerInvariant()}; only a requested shipment can be sent.");
        }

        foreach (var kit in await ShipmentLock.KitsAsync(db, shipmentId, cancellationToken))
        {
            kit.State = KitState.InTransit;
            kit.SiteId = shipment.SiteId;
            ledger.Record(kit, shipment.SiteId, KitEventKind.Shipped, new KitEventDetails(Reason: $"Shipment {shipment.Number}", ShipmentId: shipment.Id));
        }

        shipment.Status = ShipmentStatus.Shipped;
        shipment.ShippedAt = clock.GetUtcNow();
        shipment.ShippedByName = me.DisplayName;
        shipment.Carrier = carrier;
        shipment.TrackingNumber = trackingNumber;
        db.AuditAction("ShipShipment", nameof(Shipment), shipment.Id.ToString(), new { shipment.Number, Kits = shipment.KitCount, Carrier = carrier, TrackingNumber = trackingNumber }, shipment.TrialId, shipment.SiteId);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        await ShipmentLock.NotifySiteAsync(db, notifier, shipment.SiteId, $"Shipment {shipment.Number} is on its way",
            $"Shipment {shipment.Number} of {shipment.KitCount} kits left the depot with {carrier}{(trackingNumber.Length > 0 ? $" ({trackingNumber})" : "")}. Record its receipt when it arrives.",
            $"/shipments/{shipment.Id}", cancellationToken);
        return OperationResult.Success;
    }
}

/// <summary>The depot withdraws a proposed shipment before sending it; its kits stay at the depot, free again.</summary>
public sealed class CancelShipment(TrialDbContext db, SupplyAccess access, CurrentUser me, TimeProvider clock)
{
    public async Task<OperationResult> ExecuteAsync(Guid shipmentId, string? reason, CancellationToken cancellationToken = default)
    {
        await access.ShipmentAsync(shipmentId, Policies.DepotWork, tracked: false, cancellationToken);
        reason = reason?.Trim() ?? "";
        if (reason.Length is 0 or > 2000)
        {
            return OperationResult.Fail("Reason", "Say why the shipment is cancelled (at most 2000 characters).");
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var shipment = await ShipmentLock.LockAsync(db, shipmentId, cancellationToken);
        if (shipment.Status != ShipmentStatus.Requested)
        {
            return OperationResult.Fail("", $"This shipment is {shipment.Status.ToString().ToLowerInvariant()}; only a requested shipment can be cancelled.");
        }

        foreach (var kit in await ShipmentLock.KitsAsync(db, shipmentId, cancellationToken))
        {
            kit.ShipmentId = null;
        }

        shipment.Status = ShipmentStatus.Cancelled;
        shipment.DecidedAt = clock.GetUtcNow();
        shipment.DecidedByName = me.DisplayName;
        shipment.DecisionNote = reason;
        db.AuditAction("CancelShipment", nameof(Shipment), shipment.Id.ToString(), new { shipment.Number, Reason = reason }, shipment.TrialId, shipment.SiteId);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return OperationResult.Success;
    }
}

public enum KitArrival
{
    Received,
    Damaged,
    Missing,
}

/// <summary>What the site found on opening a shipment.</summary>
public sealed record ShipmentReceipt(
    bool? PackagingIntact,
    bool? TemperatureExcursion,
    string? MinimumTemperatureC,
    string? MaximumTemperatureC,
    string? Note,
    IReadOnlyDictionary<string, (KitArrival Arrival, string? Units)> Kits);

/// <summary>
/// The site receives a shipment: each kit counted in, damaged or missing. A temperature excursion or damaged packaging
/// holds every received kit in quarantine until the depot decides; otherwise they go on the shelf.
/// </summary>
public sealed class ReceiveShipment(TrialDbContext db, SupplyAccess access, SupplyLedger ledger, TrialProtocols protocols, Notifier notifier, CurrentUser me, TimeProvider clock)
{
    public const string PackagingField = "PackagingIntact";
    public const string ExcursionField = "TemperatureExcursion";
    public const string MinimumField = "MinimumTemperatureC";
    public const string MaximumField = "MaximumTemperatureC";
    public const string NoteField = "Note";

    public static string KitField(string kitCode) => $"Kit-{kitCode}";

    public async Task<OperationResult> ExecuteAsync(Guid shipmentId, ShipmentReceipt receipt, CancellationToken cancellationToken = default)
    {
        var seen = await access.ShipmentAsync(shipmentId, Policies.SiteSupply, tracked: false, cancellationToken);
        var protocol = (await protocols.CurrentAsync(seen.TrialId, cancellationToken)).Protocol;
        var lines = await db.ShipmentKits.AsNoTracking().Where(l => l.ShipmentId == shipmentId).OrderBy(l => l.Position).ToListAsync(cancellationToken);
        var result = new OperationResult();
        if (receipt.PackagingIntact is null)
        {
            result.Add(PackagingField, "Say whether the outer packaging arrived intact.");
        }

        if (receipt.TemperatureExcursion is null)
        {
            result.Add(ExcursionField, "Say whether the temperature logger shows an excursion.");
        }

        var minimum = Temperature(receipt.MinimumTemperatureC, MinimumField, result);
        var maximum = Temperature(receipt.MaximumTemperatureC, MaximumField, result);
        if (minimum > maximum)
        {
            result.Add(MaximumField, "The highest temperature cannot be below the lowest.");
        }

        var note = receipt.Note?.Trim() ?? "";
        if (note.Length > 2000)
        {
            result.Add(NoteField, "The note is at most 2000 characters.");
        }
        else if (note.Length == 0 && (receipt.TemperatureExcursion == true || receipt.PackagingIntact == false))
        {
            result.Add(NoteField, "Describe the excursion or the damage: the depot decides on it from your note.");
        }

        var outcomes = new Dictionary<string, (KitArrival Arrival, int Units)>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            if (!receipt.Kits.TryGetValue(line.KitCode, out var given))
            {
                result.Add(KitField(line.KitCode), $"Say whether kit {line.KitCode} arrived.");
                continue;
            }

            var units = 0;
            if (given.Arrival != KitArrival.Missing &&
                !(int.TryParse(given.Units, NumberStyles.None, CultureInfo.InvariantCulture, out units) && units is >= 1 and <= 1000))
            {
                result.Add(KitField(line.KitCode), $"Count the {protocol.Kits.Unit}s in kit {line.KitCode} (a kit holds {protocol.Kits.UnitsPerKit}).");
                continue;
            }

            outcomes[line.KitCode] = (given.Arrival, units);
        }

        if (!result.Succeeded)
        {
            return result;
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var shipment = await ShipmentLock.LockAsync(db, shipmentId, cancellationToken);
        if (shipment.Status != ShipmentStatus.Shipped)
        {
            return OperationResult.Fail("", shipment.Status switch
            {
                ShipmentStatus.Requested => "This shipment has not been sent yet.",
                ShipmentStatus.Cancelled => "This shipment was cancelled; nothing was changed.",
                _ => "This shipment has already been received; nothing was changed.",
            });
        }

        var hold = receipt.TemperatureExcursion == true || receipt.PackagingIntact == false;
        var kits = await ShipmentLock.KitsAsync(db, shipmentId, cancellationToken);
        var why = $"Shipment {shipment.Number}";
        // Receipts first, in their own save: the log's order must be received, then damaged or quarantined.
        foreach (var kit in kits)
        {
            var (arrival, units) = outcomes[kit.Code];
            if (arrival == KitArrival.Missing)
            {
                kit.State = KitState.Lost;
                kit.Units = 0;
                ledger.Record(kit, shipment.SiteId, KitEventKind.Lost, new KitEventDetails(Reason: $"{why}: missing on arrival", ShipmentId: shipment.Id));
            }
            else
            {
                kit.State = KitState.AtSite;
                kit.Units = units;
                ledger.Record(kit, shipment.SiteId, KitEventKind.Received, new KitEventDetails(Reason: why, Units: units, ShipmentId: shipment.Id));
            }
        }

        await db.SaveChangesAsync(cancellationToken);
        foreach (var kit in kits.Where(k => k.State == KitState.AtSite))
        {
            if (outcomes[kit.Code].Arrival == KitArrival.Damaged)
            {
                kit.State = KitState.Damaged;
                ledger.Record(kit, shipment.SiteId, KitEventKind.Damaged, new KitEventDetails(Reason: $"{why}: damaged on arrival", ShipmentId: shipment.Id));
            }
            else if (hold)
            {
                kit.State = KitState.Quarantined;
                ledger.Record(kit, shipment.SiteId, KitEventKind.Quarantined, new KitEventDetails(Reason: $"{why}: held for the depot's decision ({(receipt.TemperatureExcursion == true ? "temperature excursion" : "damaged packaging")})", ShipmentId: shipment.Id));
            }
        }

        shipment.Status = hold ? ShipmentStatus.Quarantined : ShipmentStatus.Received;
        shipment.ReceivedAt = clock.GetUtcNow();
        shipment.ReceivedByName = me.DisplayName;
        shipment.PackagingIntact = receipt.PackagingIntact;
        shipment.TemperatureExcursion = receipt.TemperatureExcursion;
        shipment.MinimumTemperatureC = minimum;
        shipment.MaximumTemperatureC = maximum;
        shipment.ReceiptNote = note;
        db.AuditAction("ReceiveShipment", nameof(Shipment), shipment.Id.ToString(), new
        {
            shipment.Number,
            Received = outcomes.Count(o => o.Value.Arrival == KitArrival.Received),
            Damaged = outcomes.Count(o => o.Value.Arrival == KitArrival.Damaged),
            Missing = outcomes.Count(o => o.Value.Arrival == KitArrival.Missing),
            Quarantined = hold,
        }, shipment.TrialId, shipment.SiteId);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        if (hold || outcomes.Values.Any(o => o.Arrival != KitArrival.Received))
        {
            await notifier.NotifyRolesAsync([TrialRoles.DepotManager],
                hold ? $"Shipment {shipment.Number} is in quarantine: decide" : $"Shipment {shipment.Number} arrived with damaged or missing kits",
                $"The site recorded shipment {shipment.Number}: {(hold ? "its kits are held until you release or reject them. " : "")}{note}",
                $"/shipments/{shipment.Id}", db.CurrentActor, cancellationToken);
        }

        return OperationResult.Success;
    }

    private static decimal? Temperature(string? text, string field, OperationResult result)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (decimal.TryParse(text.Trim(), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) && value is >= -80 and <= 80)
        {
            return Math.Round(value, 1);
        }

        result.Add(field, "Give the temperature in °C as a number from -80 to 80, e.g. 7.5.");
        return null;
    }
}

/// <summary>The depot decides on a quarantined shipment: release its held kits to the shelf, or reject them as damaged.</summary>
public sealed class DecideQuarantine(TrialDbContext db, SupplyAccess access, SupplyLedger ledger, Notifier notifier, CurrentUser me, TimeProvider clock)
{
    public async Task<OperationResult> ExecuteAsync(Guid shipmentId, bool release, string? note, CancellationToken cancellationToken = default)
    {
        await access.ShipmentAsync(shipmentId, Policies.DepotWork, tracked: false, cancellationToken);
        note = note?.Trim() ?? "";
        if (note.Length is 0 or > 2000)
        {
            return OperationResult.Fail("DecisionNote", "Give the grounds for the decision, e.g. the stability data that covers the excursion (at most 2000 characters).");
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var shipment = await ShipmentLock.LockAsync(db, shipmentId, cancellationToken);
        if (shipment.Status != ShipmentStatus.Quarantined)
        {
            return OperationResult.Fail("", "Only a quarantined shipment waits for a decision.");
        }

        var held = (await ShipmentLock.KitsAsync(db, shipmentId, cancellationToken)).Where(k => k.State == KitState.Quarantined).ToList();
        foreach (var kit in held)
        {
            kit.State = release ? KitState.AtSite : KitState.Damaged;
            ledger.Record(kit, shipment.SiteId, release ? KitEventKind.Released : KitEventKind.Damaged,
                new KitEventDetails(Reason: $"Shipment {shipment.Number} {(release ? "released" : "rejected")} by the depot: {note}", ShipmentId: shipment.Id));
        }

        shipment.Status = release ? ShipmentStatus.Released : ShipmentStatus.Rejected;
        shipment.DecidedAt = clock.GetUtcNow();
        shipment.DecidedByName = me.DisplayName;
        shipment.DecisionNote = note;
        db.AuditAction(release ? "ReleaseShipment" : "RejectShipment", nameof(Shipment), shipment.Id.ToString(), new { shipment.Number, Kits = held.Count, Note = note }, shipment.TrialId, shipment.SiteId);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        await ShipmentLock.NotifySiteAsync(db, notifier, shipment.SiteId,
            release ? $"Shipment {shipment.Number} released" : $"Shipment {shipment.Number} rejected",
            release
                ? $"The depot released the {held.Count} held kits of shipment {shipment.Number}; they may be dispensed."
                : $"The depot rejected the {held.Count} held kits of shipment {shipment.Number}; they are recorded as damaged. Destroy them with a witness.",
            $"/shipments/{shipment.Id}", cancellationToken);
        return OperationResult.Success;
    }
}
