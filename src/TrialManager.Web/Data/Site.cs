namespace TrialManager.Web.Data;

/// <summary>A place where participants are enrolled. Site-scoped roles see only the sites they are members of.</summary>
public sealed class Site
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    /// <summary>Short code used in participant numbers (e.g. "LON").</summary>
    public string Code { get; set; } = "";

    public string Name { get; set; } = "";

    /// <summary>ISO 3166-1 alpha-2 country code.</summary>
    public string Country { get; set; } = "";

    /// <summary>IANA time zone; visit windows and safety clocks are computed in it.</summary>
    public string TimeZone { get; set; } = "UTC";

    public List<SiteMembership> Members { get; } = [];
}

public sealed class SiteMembership
{
    public string UserId { get; set; } = "";

    public Guid SiteId { get; set; }

    public ApplicationUser? User { get; set; }

    public Site? Site { get; set; }
}
