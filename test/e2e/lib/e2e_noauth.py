"""nova-api paste filter: Nova's noauth2, keeping the caller's token.

Stock nova.api.openstack.auth.NoAuthMiddleware builds the RequestContext
without ``auth_token``. Everything Nova then does as the user fails with
keystoneauth "No valid authentication is available": the Glance image GET in
server create, and the token the compute service needs to upload a snapshot
to Glance. This variant copies X-Auth-Token ("user:project") onto the context
and gives user "admin" the admin role, as the Placement noauth2 does.
"""
from nova.api.openstack import auth


class NoAuthKeepToken(auth.NoAuthMiddleware):

    def base_call(self, req, project_id_in_path, always_admin=True):
        response = super().base_call(req, project_id_in_path, always_admin)
        ctx = req.environ.get('nova.context')
        token = req.headers.get('X-Auth-Token')
        if ctx is not None and token:
            ctx.auth_token = token
            if ctx.user_id == 'admin':
                ctx.roles = ['admin', 'member', 'reader']
        return response
