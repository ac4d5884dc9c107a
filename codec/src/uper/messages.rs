//! UPER of each of the four top-level messages (layout in the parent module).

use super::{
    get_index, get_numeric, get_utf8, put_numeric, put_utf8, BitReader, BitWriter, Result,
    UperError,
};
use baton_asn1::{election, monitor, role, status};

/// A top-level message with a direct UPER encoding.
pub trait Uper: Sized {
    /// Writes the value (validated by the caller).
    fn put(&self, w: &mut BitWriter<'_>);
    /// Reads a value.
    fn get(r: &mut BitReader<'_>) -> Result<Self>;
}

fn bit(r: &mut BitReader<'_>, path: &'static str) -> Result<bool> {
    r.bits(1)
        .map(|b| b == 1)
        .map_err(|s| UperError::Short(path, s))
}

impl Uper for election::ElectionMessage {
    fn put(&self, w: &mut BitWriter<'_>) {
        use election::{ElectionMessageMessage as M, ElectionResult as R};
        put_numeric(w, &self.correlation_id.0);
        match &self.message {
            M::nominationMsg(n) => {
                w.bits(0, 1);
                put_utf8(w, &n.nominee.0);
            }
            M::electionResult(result) => {
                w.bits(1, 1);
                match result {
                    R::electionError(e) => {
                        w.bits(0, 2);
                        put_utf8(w, &e.description);
                    }
                    R::assigment(a) => {
                        w.bits(1, 2);
                        put_utf8(w, &a.active.0);
                        put_utf8(w, &a.standby.0);
                    }
                    R::veto(v) => {
                        w.bits(2, 2);
                        put_utf8(w, &v.active.0);
                        put_utf8(w, &v.standby.0);
                    }
                }
            }
        }
    }

    fn get(r: &mut BitReader<'_>) -> Result<Self> {
        use election::{ElectionMessageMessage as M, ElectionResult as R};
        const P: &str = "ElectionMessage.message";
        const RES: &str = "ElectionMessage.message.electionResult";
        let correlation = get_numeric(r, "ElectionMessage.correlationId")?;
        let message = if !bit(r, P)? {
            M::nominationMsg(election::NominationMessage::new(election::Candidate(
                get_utf8(r, "ElectionMessage.message.nominationMsg.nominee")?,
            )))
        } else {
            M::electionResult(match get_index(r, 2, 3, RES)? {
                0 => R::electionError(election::ElectionError::new(get_utf8(
                    r,
                    "ElectionMessage.message.electionResult.electionError.description",
                )?)),
                1 => R::assigment(election::Assigment::new(
                    election::Candidate(get_utf8(
                        r,
                        "ElectionMessage.message.electionResult.assigment.active",
                    )?),
                    election::Candidate(get_utf8(
                        r,
                        "ElectionMessage.message.electionResult.assigment.standby",
                    )?),
                )),
                _ => R::veto(election::Veto::new(
                    election::Candidate(get_utf8(
                        r,
                        "ElectionMessage.message.electionResult.veto.active",
                    )?),
                    election::Candidate(get_utf8(
                        r,
                        "ElectionMessage.message.electionResult.veto.standby",
                    )?),
                )),
            })
        };
        Ok(election::ElectionMessage::new(
            election::CorrelationId(correlation),
            message,
        ))
    }
}

impl Uper for role::RoleMessage {
    fn put(&self, w: &mut BitWriter<'_>) {
        use role::RoleMessageMessage as M;
        put_numeric(w, &self.correlation_id.0);
        match &self.message {
            M::setRole(s) => {
                w.bits(0, 1);
                w.bits(u32::from(s.role == role::Role::standby), 1);
            }
            M::setRoleResponse(s) => {
                w.bits(1, 1);
                w.bits(u32::from(s.return_code == role::ReturnCode::failure), 1);
            }
        }
    }

    fn get(r: &mut BitReader<'_>) -> Result<Self> {
        use role::RoleMessageMessage as M;
        let correlation = get_numeric(r, "RoleMessage.correlationId")?;
        let message = if !bit(r, "RoleMessage.message")? {
            let standby = bit(r, "RoleMessage.message.setRole.role")?;
            M::setRole(role::SetRole::new(if standby {
                role::Role::standby
            } else {
                role::Role::active
            }))
        } else {
            let failure = bit(r, "RoleMessage.message.setRoleResponse.returnCode")?;
            M::setRoleResponse(role::SetRoleResponse::new(if failure {
                role::ReturnCode::failure
            } else {
                role::ReturnCode::success
            }))
        };
        Ok(role::RoleMessage::new(
            role::CorrelationId(correlation),
            message,
        ))
    }
}

fn put_health(w: &mut BitWriter<'_>, b: &monitor::BillOfHealth) {
    w.bits(u32::from(b.status == monitor::ComponentStatus::failed), 1);
}

fn get_health(r: &mut BitReader<'_>, path: &'static str) -> Result<monitor::BillOfHealth> {
    Ok(monitor::BillOfHealth::new(if bit(r, path)? {
        monitor::ComponentStatus::failed
    } else {
        monitor::ComponentStatus::ok
    }))
}

impl Uper for monitor::HealthMonitorMessage {
    fn put(&self, w: &mut BitWriter<'_>) {
        use monitor::HealthMonitorMessageMessage as M;
        put_numeric(w, &self.correlation_id.0);
        put_numeric(w, &self.component_id.0);
        match &self.message {
            M::healthQuery(_) => w.bits(0, 2),
            M::healthQueryResponse(h) => {
                w.bits(1, 2);
                put_health(w, &h.bill_of_health);
            }
            M::heartBeat(h) => {
                w.bits(2, 2);
                put_health(w, &h.bill_of_health);
            }
        }
    }

    fn get(r: &mut BitReader<'_>) -> Result<Self> {
        use monitor::HealthMonitorMessageMessage as M;
        let correlation = get_numeric(r, "HealthMonitorMessage.correlationId")?;
        let component = get_numeric(r, "HealthMonitorMessage.componentId")?;
        let message = match get_index(r, 2, 3, "HealthMonitorMessage.message")? {
            0 => M::healthQuery(monitor::HealthQuery {}),
            1 => M::healthQueryResponse(monitor::HealthQueryResponse::new(get_health(
                r,
                "HealthMonitorMessage.message.healthQueryResponse.billOfHealth.status",
            )?)),
            _ => M::heartBeat(monitor::HeartBeat::new(get_health(
                r,
                "HealthMonitorMessage.message.heartBeat.billOfHealth.status",
            )?)),
        };
        Ok(monitor::HealthMonitorMessage::new(
            monitor::CorrelationId(correlation),
            monitor::ComponentId(component),
            message,
        ))
    }
}

impl Uper for status::ServiceStatusMessage {
    fn put(&self, w: &mut BitWriter<'_>) {
        use status::ServiceStatusMessageMessage as M;
        put_numeric(w, &self.correlation_id.0);
        match &self.message {
            M::getStatus(_) => w.bits(0, 2),
            M::statusIndication(s) => {
                w.bits(1, 2);
                put_utf8(w, &s.status.0);
            }
            M::getStatusResponse(s) => {
                w.bits(2, 2);
                put_utf8(w, &s.status.0);
            }
        }
    }

    fn get(r: &mut BitReader<'_>) -> Result<Self> {
        use status::ServiceStatusMessageMessage as M;
        let correlation = get_numeric(r, "ServiceStatusMessage.correlationId")?;
        let message = match get_index(r, 2, 3, "ServiceStatusMessage.message")? {
            0 => M::getStatus(status::GetStatus {}),
            1 => M::statusIndication(status::StatusIndication::new(status::Status(get_utf8(
                r,
                "ServiceStatusMessage.message.statusIndication.status",
            )?))),
            _ => M::getStatusResponse(status::GetStatusResponse::new(status::Status(get_utf8(
                r,
                "ServiceStatusMessage.message.getStatusResponse.status",
            )?))),
        };
        Ok(status::ServiceStatusMessage::new(
            status::CorrelationId(correlation),
            message,
        ))
    }
}
