import { gatewayHandlers } from "../../../lib/gateway-route.ts";

export const GET = gatewayHandlers.GET;
export const POST = gatewayHandlers.POST;
export const PATCH = gatewayHandlers.PATCH;
export const PUT = gatewayHandlers.PUT;
export const DELETE = gatewayHandlers.DELETE;
