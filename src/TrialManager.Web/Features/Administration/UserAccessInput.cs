using System.ComponentModel.DataAnnotations;

namespace TrialManager.Web.Features.Administration;

/// <summary>Roles and site memberships as posted by the user forms. Unknown roles or sites are refused by the operation.</summary>
public class UserAccessInput
{
    // Never null: the form binder sets a list that received no values (no box ticked) to null, not to empty.
    private List<string> _roles = [];
    private List<string> _siteIds = [];

    [MaxLength(6, ErrorMessage = "Choose at most six roles.")]
    public List<string> Roles
    {
        get => _roles;
        set => _roles = value ?? [];
    }

    [MaxLength(500, ErrorMessage = "Too many sites.")]
    public List<string> SiteIds
    {
        get => _siteIds;
        set => _siteIds = value ?? [];
    }
}

public sealed class CreateUserInput : UserAccessInput
{
    [Required(ErrorMessage = "Enter the person's e-mail address.")]
    [StringLength(256, ErrorMessage = "An e-mail address has at most 256 characters.")]
    [EmailAddress(ErrorMessage = "Enter an e-mail address such as name@example.org.")]
    public string Email { get; set; } = "";

    [Required(ErrorMessage = "Enter the person's name as it should print beside their signature.")]
    [StringLength(200, ErrorMessage = "Use at most 200 characters.")]
    public string DisplayName { get; set; } = "";
}
