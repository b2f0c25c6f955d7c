using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace Hangfire.ElasticSqs.Sample.Dashboard;

/// <summary>
/// Who may open the sample's Dashboard: an ASP.NET Core policy, because behind nginx every request comes from
/// 127.0.0.1 and a "local requests only" filter admits the whole internet. In production the policy needs a user
/// signed in with HTTP Basic credentials from <c>Sample:Dashboard:Username</c> / <c>Password</c> (serve it over HTTPS
/// only, e.g. TLS at the load balancer); with no password configured, nobody is admitted. In Development, or with
/// <c>Sample:Dashboard:AllowLocalRequests</c> (the demo), a request made on this machine and not forwarded by a proxy
/// is admitted without credentials. Replace the Basic scheme with your own sign-in (cookies, OpenID Connect) and keep
/// the policy.
/// </summary>
public static class DashboardAuthorization
{
    public const string PolicyName = "HangfireDashboard";
    public const string SchemeName = "DashboardBasic";
    public const string UsernameKey = "Sample:Dashboard:Username";
    public const string PasswordKey = "Sample:Dashboard:Password";
    public const string AllowLocalRequestsKey = "Sample:Dashboard:AllowLocalRequests";

    private static readonly string[] ForwardingHeaders = ["X-Forwarded-For", "X-Real-IP", "Forwarded", "X-Original-For"];

    public static void AddSampleDashboardAuthorization(this WebApplicationBuilder builder)
    {
        var allowLocal = builder.Environment.IsDevelopment() || builder.Configuration.GetValue<bool>(AllowLocalRequestsKey);
        builder.Services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, BasicHandler>(SchemeName, null);
        builder.Services.AddAuthorizationBuilder().AddPolicy(PolicyName, policy => policy
            .AddAuthenticationSchemes(SchemeName)
            .RequireAssertion(context => context.User.Identity?.IsAuthenticated == true
                || (allowLocal && context.Resource is HttpContext http && IsLocalAndNotForwarded(http))));

        // Hangfire's Dashboard checks the antiforgery token on every POST (trigger, requeue, delete) once the
        // service is registered, and its pages send the token with each action.
        builder.Services.AddAntiforgery();
    }

    /// <summary>A request from this machine that no proxy forwarded (nginx always adds X-Forwarded-For and X-Real-IP).</summary>
    public static bool IsLocalAndNotForwarded(HttpContext context)
        => context.Connection.RemoteIpAddress is { } peer && IPAddress.IsLoopback(peer)
            && !ForwardingHeaders.Any(context.Request.Headers.ContainsKey);

    private sealed class BasicHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, IConfiguration configuration)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        protected override Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            var username = configuration[UsernameKey];
            var password = configuration[PasswordKey];
            if (string.IsNullOrEmpty(username) || string.IsNullOrEmpty(password)
                || !Request.Headers.Authorization.ToString().StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
            {
                return Task.FromResult(AuthenticateResult.NoResult());
            }

            string supplied;
            try
            {
                supplied = Encoding.UTF8.GetString(Convert.FromBase64String(Request.Headers.Authorization.ToString()[6..].Trim()));
            }
            catch (FormatException)
            {
                return Task.FromResult(AuthenticateResult.Fail("The Basic credentials are not base64."));
            }

            // Hashing first gives equal-length inputs, so the comparison takes the same time whatever was sent.
            var expected = SHA256.HashData(Encoding.UTF8.GetBytes(username + ":" + password));
            if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(supplied)), expected))
            {
                return Task.FromResult(AuthenticateResult.Fail("Wrong Dashboard credentials."));
            }

            var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, username)], SchemeName);
            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
        }

        protected override Task HandleChallengeAsync(AuthenticationProperties properties)
        {
            Response.StatusCode = StatusCodes.Status401Unauthorized;
            Response.Headers.WWWAuthenticate = "Basic realm=\"Hangfire Dashboard\", charset=\"UTF-8\"";
            return Task.CompletedTask;
        }
    }
}
