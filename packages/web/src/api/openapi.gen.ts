/**
 * The HTTP contract of the Umeme server as TypeScript types, generated from docs/openapi.json by
 * openapi-typescript. Do not edit: `npm run api:types` rewrites it, and
 * tests/integration/openapi.test.ts fails when it is stale.
 */

export interface paths {
    "/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {string} */
                            status: "ok";
                            timestamp: string;
                            uptime: number;
                            mode: {
                                /** @enum {string} */
                                name: "demo" | "staging" | "production" | "development";
                                demo: boolean;
                                /** @enum {string} */
                                payments: "daraja" | "emulator";
                                /** @enum {string} */
                                sms: "africastalking" | "emulator" | "off";
                                reasons: string[];
                            };
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/ready": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            status: string;
                            database: boolean;
                            broker: boolean;
                            ingestPending: number;
                            mode: {
                                /** @enum {string} */
                                name: "demo" | "staging" | "production" | "development";
                                demo: boolean;
                                /** @enum {string} */
                                payments: "daraja" | "emulator";
                                /** @enum {string} */
                                sms: "africastalking" | "emulator" | "off";
                                reasons: string[];
                            };
                        };
                    };
                };
                /** @description Default Response */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            status: string;
                            database: boolean;
                            broker: boolean;
                            ingestPending: number;
                            mode: {
                                /** @enum {string} */
                                name: "demo" | "staging" | "production" | "development";
                                demo: boolean;
                                /** @enum {string} */
                                payments: "daraja" | "emulator";
                                /** @enum {string} */
                                sms: "africastalking" | "emulator" | "off";
                                reasons: string[];
                            };
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/password-reset": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        login: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {string} */
                            status: "reset_code_sent";
                            message: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/password-reset/confirm": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        login: string;
                        code: string;
                        newPassword: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/register": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name: string;
                        /** Format: email */
                        email: string;
                        phone: string;
                        password: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {string} */
                            status: "verification_sent";
                            message: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/verify": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        email: string;
                        code: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            token: string;
                            user: {
                                id: string;
                                name: string;
                                email: string;
                                phone: string | null;
                                /** @enum {string} */
                                role: "customer" | "viewer" | "support" | "admin";
                                locale: string;
                                permissions: ("console.view" | "customers.care" | "alerts.handle" | "meters.manage" | "relay.command" | "money.move" | "tariffs.manage" | "operators.manage")[];
                                temporaryCredentials: boolean;
                            };
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        email: string;
                        password: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            token: string;
                            user: {
                                id: string;
                                name: string;
                                email: string;
                                phone: string | null;
                                /** @enum {string} */
                                role: "customer" | "viewer" | "support" | "admin";
                                locale: string;
                                permissions: ("console.view" | "customers.care" | "alerts.handle" | "meters.manage" | "relay.command" | "money.move" | "tariffs.manage" | "operators.manage")[];
                                temporaryCredentials: boolean;
                            };
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/logout": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/me/password": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        currentPassword: string;
                        newPassword: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            token: string;
                            user: {
                                id: string;
                                name: string;
                                email: string;
                                phone: string | null;
                                /** @enum {string} */
                                role: "customer" | "viewer" | "support" | "admin";
                                locale: string;
                                permissions: ("console.view" | "customers.care" | "alerts.handle" | "meters.manage" | "relay.command" | "money.move" | "tariffs.manage" | "operators.manage")[];
                                temporaryCredentials: boolean;
                            };
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            name: string;
                            email: string;
                            phone: string | null;
                            /** @enum {string} */
                            role: "customer" | "viewer" | "support" | "admin";
                            locale: string;
                            permissions: ("console.view" | "customers.care" | "alerts.handle" | "meters.manage" | "relay.command" | "money.move" | "tariffs.manage" | "operators.manage")[];
                            temporaryCredentials: boolean;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/operators": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name: string;
                        /** Format: email */
                        email: string;
                        /** @enum {string} */
                        role: "viewer" | "support" | "admin";
                        reason: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            user: {
                                id: string;
                                email: string;
                                name: string;
                                phone: string | null;
                                /** @enum {string} */
                                role: "customer" | "viewer" | "support" | "admin";
                                disabled: boolean;
                                temporaryCredentials: boolean;
                            };
                            temporaryPassword: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/users/{id}/role": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @enum {string} */
                        role: "customer" | "viewer" | "support" | "admin";
                        reason: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            email: string;
                            name: string;
                            phone: string | null;
                            /** @enum {string} */
                            role: "customer" | "viewer" | "support" | "admin";
                            disabled: boolean;
                            temporaryCredentials: boolean;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/users/{id}/disable": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        reason: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            email: string;
                            name: string;
                            phone: string | null;
                            /** @enum {string} */
                            role: "customer" | "viewer" | "support" | "admin";
                            disabled: boolean;
                            temporaryCredentials: boolean;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/users/{id}/enable": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        reason: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            email: string;
                            name: string;
                            phone: string | null;
                            /** @enum {string} */
                            role: "customer" | "viewer" | "support" | "admin";
                            disabled: boolean;
                            temporaryCredentials: boolean;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/users/{id}/password-reset": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        reason: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            user: {
                                id: string;
                                email: string;
                                name: string;
                                phone: string | null;
                                /** @enum {string} */
                                role: "customer" | "viewer" | "support" | "admin";
                                disabled: boolean;
                                temporaryCredentials: boolean;
                            };
                            temporaryPassword: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/users/{id}/phone": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        phone: string;
                        reason: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            email: string;
                            name: string;
                            phone: string | null;
                            /** @enum {string} */
                            role: "customer" | "viewer" | "support" | "admin";
                            disabled: boolean;
                            temporaryCredentials: boolean;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/meters": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: {
                    limit?: number;
                    after?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            meters: {
                                meterNo: string;
                                accountNo: string;
                                userId: string | null;
                                ownerName: string | null;
                                balanceKwh: number;
                                balanceMwh: number;
                                creditLimitKwh: number;
                                creditLimitMwh: number;
                                energyTotalKwh: number;
                                energyTotalMwh: number;
                                e0Mwh: number;
                                /** @enum {string} */
                                relay: "on" | "off";
                                status: string;
                                lastSeen: string | null;
                                powerW: number | null;
                                fw: string | null;
                                meterBalanceKwh: number | null;
                                emergencyCreditKwh: number;
                                lowBalanceKwh: number;
                                publishIntervalS: number;
                                seq: number;
                                createdAt: string;
                                tariffGroup: string;
                                current_balance: number;
                                supply: {
                                    /** @enum {string} */
                                    relay: "on" | "off";
                                    /** @enum {string} */
                                    reason: "override_connect" | "override_disconnect" | "credit" | "emergency_credit" | "friendly_hours" | "no_credit";
                                    operatorReason: string | null;
                                    debt: number;
                                };
                            }[];
                            next: string | null;
                        };
                    };
                };
            };
        };
        put?: never;
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        meterNo: string;
                        /** Format: uuid */
                        userId?: string;
                        /** Format: email */
                        ownerEmail?: string;
                        openingCreditKwh?: number;
                        initialRegisterKwh?: number;
                        emergencyCreditKwh?: number;
                        lowBalanceKwh?: number;
                        maxLoadW?: number;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            meterNo: string;
                            meter: {
                                meterNo: string;
                                accountNo: string;
                                userId: string | null;
                                ownerName: string | null;
                                balanceKwh: number;
                                balanceMwh: number;
                                creditLimitKwh: number;
                                creditLimitMwh: number;
                                energyTotalKwh: number;
                                energyTotalMwh: number;
                                e0Mwh: number;
                                /** @enum {string} */
                                relay: "on" | "off";
                                status: string;
                                lastSeen: string | null;
                                powerW: number | null;
                                fw: string | null;
                                meterBalanceKwh: number | null;
                                emergencyCreditKwh: number;
                                lowBalanceKwh: number;
                                publishIntervalS: number;
                                seq: number;
                                createdAt: string;
                                tariffGroup: string;
                                current_balance: number;
                                supply: {
                                    /** @enum {string} */
                                    relay: "on" | "off";
                                    /** @enum {string} */
                                    reason: "override_connect" | "override_disconnect" | "credit" | "emergency_credit" | "friendly_hours" | "no_credit";
                                    operatorReason: string | null;
                                    debt: number;
                                };
                            };
                            mqttUsername: string;
                            mqttPassword: string;
                            mqttClientId: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/meters/{meterNo}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    meterNo: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            meterNo: string;
                            accountNo: string;
                            userId: string | null;
                            ownerName: string | null;
                            balanceKwh: number;
                            balanceMwh: number;
                            creditLimitKwh: number;
                            creditLimitMwh: number;
                            energyTotalKwh: number;
                            energyTotalMwh: number;
                            e0Mwh: number;
                            /** @enum {string} */
                            relay: "on" | "off";
                            status: string;
                            lastSeen: string | null;
                            powerW: number | null;
                            fw: string | null;
                            meterBalanceKwh: number | null;
                            emergencyCreditKwh: number;
                            lowBalanceKwh: number;
                            publishIntervalS: number;
                            seq: number;
                            createdAt: string;
                            tariffGroup: string;
                            current_balance: number;
                            supply: {
                                /** @enum {string} */
                                relay: "on" | "off";
                                /** @enum {string} */
                                reason: "override_connect" | "override_disconnect" | "credit" | "emergency_credit" | "friendly_hours" | "no_credit";
                                operatorReason: string | null;
                                debt: number;
                            };
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/meters/{meterNo}/rotate-secret": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    meterNo: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            mqttUsername: string;
                            mqttPassword: string;
                            mqttClientId: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/meters/{meterNo}/revoke": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    meterNo: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {boolean} */
                            ok: true;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/meters/unprovisioned": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            managed: boolean;
                            meters: string[];
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/meters/rotate-secrets": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        meterNos?: string[];
                        unprovisioned?: boolean;
                        reason: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/meters/{meterNo}/balance": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    meterNo: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        meterNo?: string;
                        balance: number;
                        creditLimit?: number;
                        energyTotal?: number;
                        timestamp?: number;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {boolean} */
                            ok: true;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/meters/{meterNo}/status": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    meterNo: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        meterNo: string;
                        /** @enum {string} */
                        status: "online" | "offline" | "low_balance" | "error" | "tamper";
                        message?: string;
                        balance?: number;
                        wifi_rssi?: number;
                        fw?: string;
                        ack?: string;
                        timestamp?: number;
                    } | {
                        load_connected: boolean;
                        wifi_status?: boolean | string;
                        mqtt_status?: boolean | string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {boolean} */
                            ok: true;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/meters/claim": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        accountNo: string;
                        code: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            meterNo: string;
                            accountNo: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/meters/{meterNo}/claim-code": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    meterNo: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            meterNo: string;
                            accountNo: string;
                            issuedAt: string | null;
                            owned: boolean;
                        };
                    };
                };
            };
        };
        put?: never;
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    meterNo: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            meterNo: string;
                            accountNo: string;
                            claimCode: string;
                            issuedAt: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/daraja/simulate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        meter_no: string;
                        amount: number;
                        reference?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            transactionId: string;
                            duplicate: boolean;
                            meterNo: string;
                            amountKes: number;
                            energyKwh: number;
                            balanceKwh: number;
                            creditLimitKwh: number;
                            receipt: unknown;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/transactions/meter/{meterNo}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: {
                    limit?: number;
                };
                header?: never;
                path: {
                    meterNo: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            meterNo: string;
                            type: string;
                            source: string;
                            /** @enum {string} */
                            status: "pending" | "completed" | "failed" | "reversed";
                            amountKes: number;
                            amountCents: number;
                            energyKwh: number;
                            energyMwh: number;
                            reference: string | null;
                            phone: string | null;
                            createdAt: string;
                            completedAt: string | null;
                        }[];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v2/transactions/meter/{meterNo}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: {
                    limit?: number;
                    cursor?: string;
                };
                header?: never;
                path: {
                    meterNo: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            transactions: {
                                id: string;
                                meterNo: string;
                                type: string;
                                source: string;
                                /** @enum {string} */
                                status: "pending" | "completed" | "failed" | "reversed";
                                amountKes: number;
                                amountCents: number;
                                energyKwh: number;
                                energyMwh: number;
                                reference: string | null;
                                phone: string | null;
                                createdAt: string;
                                completedAt: string | null;
                            }[];
                            next: string | null;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/transactions/{id}/receipt": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            transactionId: string;
                            meterNo: string;
                            accountNo: string;
                            type: string;
                            source: string;
                            /** @enum {string} */
                            status: "pending" | "completed" | "failed" | "reversed";
                            createdAt: string;
                            completedAt: string | null;
                            amountCents: number;
                            amountKes: number;
                            energyKwh: number;
                            energyMwh: number;
                            mpesaReceipt: string | null;
                            phone: string | null;
                            balanceAfterKwh: number | null;
                            tariffId: string | null;
                            tariffName: string | null;
                            lines: {
                                kind: string;
                                code: string;
                                label: string;
                                amountCents: number;
                                amountKes: number;
                                energyKwh: number | null;
                                rateCentsPerKwh: number | null;
                                basisPoints: number | null;
                            }[];
                            infoLines: {
                                code: string;
                                label: string;
                                energyKwh: number;
                                energyMwh: number;
                                valueCents: number;
                                valueKes: number;
                            }[];
                        };
                    };
                };
                /** @description Default Response */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: string;
                            message: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/transactions/{userId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: {
                    limit?: number;
                };
                header?: never;
                path: {
                    userId: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            meterNo: string;
                            type: string;
                            source: string;
                            /** @enum {string} */
                            status: "pending" | "completed" | "failed" | "reversed";
                            amountKes: number;
                            amountCents: number;
                            energyKwh: number;
                            energyMwh: number;
                            reference: string | null;
                            phone: string | null;
                            createdAt: string;
                            completedAt: string | null;
                        }[];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v2/transactions/{userId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: {
                    limit?: number;
                    cursor?: string;
                };
                header?: never;
                path: {
                    userId: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            transactions: {
                                id: string;
                                meterNo: string;
                                type: string;
                                source: string;
                                /** @enum {string} */
                                status: "pending" | "completed" | "failed" | "reversed";
                                amountKes: number;
                                amountCents: number;
                                energyKwh: number;
                                energyMwh: number;
                                reference: string | null;
                                phone: string | null;
                                createdAt: string;
                                completedAt: string | null;
                            }[];
                            next: string | null;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/meters/{meterNo}/consumption": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: {
                    from?: string;
                    to?: string;
                    bucket?: "hour" | "day";
                };
                header?: never;
                path: {
                    meterNo: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            meterNo: string;
                            /** @enum {string} */
                            bucket: "hour" | "day";
                            timezone: string;
                            from: string;
                            to: string;
                            points: {
                                start: string;
                                energyKwh: number;
                                energyMwh: number;
                                maxPowerW: number | null;
                                reports: number;
                            }[];
                            totalKwh: number;
                            totalMwh: number;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/daraja/stkpush": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: {
            parameters: {
                query?: never;
                header?: {
                    "idempotency-key"?: string;
                };
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        phoneNumber: string;
                        amount: number;
                        meterNo: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            intentId: string;
                            checkoutRequestId: string | null;
                            /** @enum {string} */
                            status: "pending" | "succeeded" | "failed" | "expired" | "unknown";
                            customerMessage: string;
                        };
                    };
                };
                /** @description Default Response */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: string;
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: string;
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: string;
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: string;
                            message: string;
                            retryAfter?: number;
                        };
                    };
                };
                /** @description Default Response */
                502: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: string;
                            message: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/daraja/intents/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            intentId: string;
                            meterNo: string;
                            /** @enum {string} */
                            status: "pending" | "succeeded" | "failed" | "expired" | "unknown";
                            reason: string | null;
                            resultCode: number | null;
                            amountKes: number;
                            amountCents: number;
                            phone: string;
                            checkoutRequestId: string | null;
                            receipt: string | null;
                            transactionId: string | null;
                            energyKwh: number | null;
                            createdAt: string;
                            resolvedAt: string | null;
                        };
                    };
                };
                /** @description Default Response */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: string;
                            message: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/daraja/callback/{token}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    token: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        Body: {
                            stkCallback: {
                                MerchantRequestID: string;
                                CheckoutRequestID: string;
                                ResultCode: number;
                                ResultDesc: string;
                                CallbackMetadata?: {
                                    Item: ({
                                        Name: string;
                                        Value?: string | number;
                                    } & {
                                        [key: string]: unknown;
                                    })[];
                                } & {
                                    [key: string]: unknown;
                                };
                            } & {
                                [key: string]: unknown;
                            };
                        } & {
                            [key: string]: unknown;
                        };
                    } & {
                        [key: string]: unknown;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {number} */
                            ResultCode: 0;
                            /** @enum {string} */
                            ResultDesc: "Accepted";
                        };
                    };
                };
                /** @description Default Response */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: string;
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: string;
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: string;
                            message: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/daraja/c2b/validation": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: {
            parameters: {
                query?: {
                    t?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        TransactionType: string;
                        TransID: string;
                        TransTime: string;
                        TransAmount: string;
                        BusinessShortCode: string;
                        BillRefNumber: string;
                        InvoiceNumber?: string;
                        OrgAccountBalance?: string;
                        ThirdPartyTransID?: string;
                        MSISDN: string;
                        FirstName?: string;
                        MiddleName?: string;
                        LastName?: string;
                    } & {
                        [key: string]: unknown;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {string} */
                            ResultCode: "0";
                            /** @enum {string} */
                            ResultDesc: "Accepted";
                        } | {
                            /** @enum {string} */
                            ResultCode: "C2B00011" | "C2B00012" | "C2B00013" | "C2B00014" | "C2B00015" | "C2B00016";
                            /** @enum {string} */
                            ResultDesc: "Rejected";
                        };
                    };
                };
                /** @description Default Response */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: string;
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: string;
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: string;
                            message: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/daraja/c2b/confirmation": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: {
            parameters: {
                query?: {
                    t?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        TransactionType: string;
                        TransID: string;
                        TransTime: string;
                        TransAmount: string;
                        BusinessShortCode: string;
                        BillRefNumber: string;
                        InvoiceNumber?: string;
                        OrgAccountBalance?: string;
                        ThirdPartyTransID?: string;
                        MSISDN: string;
                        FirstName?: string;
                        MiddleName?: string;
                        LastName?: string;
                    } & {
                        [key: string]: unknown;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {number} */
                            ResultCode: 0;
                            /** @enum {string} */
                            ResultDesc: "Success";
                        };
                    };
                };
                /** @description Default Response */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: string;
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: string;
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: string;
                            message: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/payments/orphans": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: {
                    status?: "open" | "assigned" | "dismissed" | "all";
                    limit?: number;
                    cursor?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            orphans: {
                                id: string;
                                checkoutRequestId: string | null;
                                merchantRequestId: string | null;
                                resultCode: number | null;
                                resultDesc: string | null;
                                amountKes: number | null;
                                amountCents: number | null;
                                receipt: string | null;
                                phone: string | null;
                                transactionDate: string | null;
                                creditable: boolean;
                                receivedAt: string;
                                /** @enum {string} */
                                state: "open" | "assigned" | "dismissed";
                                resolvedBy: string | null;
                                resolvedAt: string | null;
                                reason: string | null;
                                meterNo: string | null;
                                transactionId: string | null;
                            }[];
                            nextCursor: string | null;
                        };
                    };
                };
                /** @description Default Response */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: string;
                            message: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/payments/orphans/{id}/assign": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        meterNo: string;
                        reason: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            orphan: {
                                id: string;
                                checkoutRequestId: string | null;
                                merchantRequestId: string | null;
                                resultCode: number | null;
                                resultDesc: string | null;
                                amountKes: number | null;
                                amountCents: number | null;
                                receipt: string | null;
                                phone: string | null;
                                transactionDate: string | null;
                                creditable: boolean;
                                receivedAt: string;
                                /** @enum {string} */
                                state: "open" | "assigned" | "dismissed";
                                resolvedBy: string | null;
                                resolvedAt: string | null;
                                reason: string | null;
                                meterNo: string | null;
                                transactionId: string | null;
                            };
                            credited: boolean;
                            energyKwh: number | null;
                            balanceKwh: number;
                        };
                    };
                };
                /** @description Default Response */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: string;
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: string;
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: string;
                            message: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/payments/orphans/{id}/dismiss": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        reason: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            checkoutRequestId: string | null;
                            merchantRequestId: string | null;
                            resultCode: number | null;
                            resultDesc: string | null;
                            amountKes: number | null;
                            amountCents: number | null;
                            receipt: string | null;
                            phone: string | null;
                            transactionDate: string | null;
                            creditable: boolean;
                            receivedAt: string;
                            /** @enum {string} */
                            state: "open" | "assigned" | "dismissed";
                            resolvedBy: string | null;
                            resolvedAt: string | null;
                            reason: string | null;
                            meterNo: string | null;
                            transactionId: string | null;
                        };
                    };
                };
                /** @description Default Response */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: string;
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: string;
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: string;
                            message: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/transactions/topup": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: {
                    status?: "pending" | "approved" | "rejected";
                    meterNo?: string;
                    order?: "newest" | "oldest";
                    limit?: number;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            topups: {
                                id: string;
                                meterNo: string;
                                userId: string;
                                customerName: string;
                                customerPhone: string | null;
                                amountKes: number;
                                amountCents: number;
                                channel: string;
                                reference: string | null;
                                /** @enum {string} */
                                status: "pending" | "approved" | "rejected";
                                adminNotes: string | null;
                                processedBy: string | null;
                                processedAt: string | null;
                                transactionId: string | null;
                                createdAt: string;
                            }[];
                        };
                    };
                };
            };
        };
        put?: never;
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        meterNo?: string;
                        amount: number;
                        /**
                         * @default other
                         * @enum {string}
                         */
                        channel?: "cash" | "agent" | "bank" | "other";
                        reference?: string;
                        description?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            meterNo: string;
                            userId: string;
                            customerName: string;
                            customerPhone: string | null;
                            amountKes: number;
                            amountCents: number;
                            channel: string;
                            reference: string | null;
                            /** @enum {string} */
                            status: "pending" | "approved" | "rejected";
                            adminNotes: string | null;
                            processedBy: string | null;
                            processedAt: string | null;
                            transactionId: string | null;
                            createdAt: string;
                        };
                    };
                };
                /** @description Default Response */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: string;
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: string;
                            message: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/transactions/topup/{id}/process": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @enum {string} */
                        status: "approved" | "rejected" | "success" | "failed";
                        /** @default  */
                        admin_notes?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            meterNo: string;
                            userId: string;
                            customerName: string;
                            customerPhone: string | null;
                            amountKes: number;
                            amountCents: number;
                            channel: string;
                            reference: string | null;
                            /** @enum {string} */
                            status: "pending" | "approved" | "rejected";
                            adminNotes: string | null;
                            processedBy: string | null;
                            processedAt: string | null;
                            transactionId: string | null;
                            createdAt: string;
                        };
                    };
                };
                /** @description Default Response */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: string;
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: string;
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: string;
                            message: string;
                        };
                    };
                };
            };
        };
        trace?: never;
    };
    "/api/push/config": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            publicKey: string;
                            kinds: ("receipt" | "low_balance" | "predicted_low" | "supply_cut" | "supply_restored" | "operator_disconnect" | "topup_approved" | "topup_rejected" | "emergency_credit")[];
                        };
                    };
                };
                /** @description Default Response */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: string;
                            message: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/push/subscriptions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            subscriptions: {
                                endpoint: string;
                                /** @enum {string} */
                                lang: "en" | "sw";
                                kinds: ("receipt" | "low_balance" | "predicted_low" | "supply_cut" | "supply_restored" | "operator_disconnect" | "topup_approved" | "topup_rejected" | "emergency_credit")[];
                                createdAt: string;
                            }[];
                        };
                    };
                };
                /** @description Default Response */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: string;
                            message: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** Format: uri */
                        endpoint: string;
                        expirationTime?: number | null;
                        keys: {
                            p256dh: string;
                            auth: string;
                        };
                        /**
                         * @default en
                         * @enum {string}
                         */
                        lang?: "en" | "sw";
                        kinds?: ("receipt" | "low_balance" | "predicted_low" | "supply_cut" | "supply_restored" | "operator_disconnect" | "topup_approved" | "topup_rejected" | "emergency_credit")[];
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            endpoint: string;
                            /** @enum {string} */
                            lang: "en" | "sw";
                            kinds: ("receipt" | "low_balance" | "predicted_low" | "supply_cut" | "supply_restored" | "operator_disconnect" | "topup_approved" | "topup_rejected" | "emergency_credit")[];
                            createdAt: string;
                        };
                    };
                };
                /** @description Default Response */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: string;
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: string;
                            message: string;
                        };
                    };
                };
            };
        };
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        endpoint: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Default Response */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: string;
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: string;
                            message: string;
                        };
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/meters": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: {
                    filter?: "offline" | "low_balance" | "relay_off" | "alerting";
                    q?: string;
                    sort?: "meterNo" | "balance" | "lastSeen" | "power" | "-meterNo" | "-balance" | "-lastSeen" | "-power";
                    cursor?: string;
                    limit?: number;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            meters: {
                                meterNo: string;
                                userId: string | null;
                                ownerName: string | null;
                                ownerEmail: string | null;
                                balanceKwh: number;
                                balanceMwh: number;
                                powerW: number | null;
                                /** @enum {string} */
                                relay: "on" | "off";
                                online: boolean;
                                status: string;
                                lastSeen: string | null;
                                fw: string | null;
                                openAlerts: number;
                                debtCents: number;
                            }[];
                            next: string | null;
                            total: number;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/meters/{meterNo}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    meterNo: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            meter: {
                                meterNo: string;
                                userId: string | null;
                                ownerName: string | null;
                                ownerEmail: string | null;
                                balanceKwh: number;
                                balanceMwh: number;
                                powerW: number | null;
                                /** @enum {string} */
                                relay: "on" | "off";
                                online: boolean;
                                status: string;
                                lastSeen: string | null;
                                fw: string | null;
                                openAlerts: number;
                                debtCents: number;
                                creditLimitMwh: number;
                                energyTotalMwh: number;
                                e0Mwh: number;
                                meterBalanceKwh: number | null;
                                serverBalanceKwh: number;
                                emergencyCreditKwh: number;
                                lowBalanceKwh: number;
                                publishIntervalS: number;
                                reportingInterval: {
                                    medianS: number | null;
                                    gaps: number;
                                    /** @enum {string} */
                                    basis: "meter_time" | "received_time";
                                };
                                maxLoadW: number | null;
                                emergencyTakenAt: string | null;
                                createdAt: string;
                            };
                            ledger: {
                                id: number;
                                kind: string;
                                energyKwh: number;
                                energyMwh: number;
                                amountCents: number;
                                creditLimitAfterMwh: number;
                                runningCreditMwh: number;
                                transactionId: string | null;
                                memo: string | null;
                                at: string;
                                source: {
                                    /** @enum {string} */
                                    kind: "mpesa_stk" | "mpesa_c2b" | "topup" | "operator" | "emergency" | "opening" | "simulate" | "moved_in" | "moved_out" | "other";
                                    mpesaReceipt: string | null;
                                    operatorEmail: string | null;
                                    reason: string | null;
                                    otherMeterNo: string | null;
                                    friendlyHoursRepaidMwh: number;
                                    advanceRepaidCents: number;
                                };
                            }[];
                            statusHistory: {
                                status: string;
                                relay: string | null;
                                at: string;
                            }[];
                            alerts: {
                                id: number;
                                meterNo: string;
                                kind: string;
                                severity: string;
                                message: string;
                                openedAt: string;
                                closedAt: string | null;
                                acknowledgedBy: string | null;
                                acknowledgedAt: string | null;
                            }[];
                            readings: {
                                seq: number;
                                energyKwh: number;
                                powerW: number | null;
                                reportedAt: string | null;
                                receivedAt: string;
                            }[];
                            commands: {
                                id: string;
                                meterNo: string;
                                kind: string;
                                payload: {
                                    [key: string]: unknown;
                                };
                                status: string;
                                reason: string;
                                createdBy: string | null;
                                attempts: number;
                                createdAt: string;
                                sentAt: string | null;
                                acknowledgedAt: string | null;
                                expiresAt: string;
                            }[];
                            audit: {
                                id: number;
                                actorId: string | null;
                                actorKind: string;
                                action: string;
                                target: string | null;
                                details: unknown;
                                at: string;
                            }[];
                            registerHolds: {
                                id: number;
                                meterNo: string;
                                /** @enum {string} */
                                status: "held" | "accepted" | "rebased" | "dismissed";
                                /** @enum {string} */
                                reportKind: "v2" | "legacy";
                                baseEnergyMwh: number;
                                appliedEnergyMwh: number;
                                heldFromMwh: number;
                                heldEnergyMwh: number;
                                allowedMwh: number;
                                elapsedMs: number;
                                ratedPowerW: number;
                                reports: number;
                                firstReceivedAt: string;
                                lastReceivedAt: string;
                                backOnRegister: boolean;
                                actions: ("accept" | "reset_epoch" | "dismiss")[];
                                openedAt: string;
                                resolvedAt: string | null;
                                resolvedBy: string | null;
                                reason: string | null;
                                debitedMwh: number | null;
                                rebasedMwh: number | null;
                            }[];
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/meters/{meterNo}/assign": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    meterNo: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        userId: string | null;
                        reason: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            meterNo: string;
                            userId: string | null;
                            previousUserId: string | null;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/meters/import": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        csv: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            rows: {
                                line: number;
                                meterNo: string;
                                ok: boolean;
                                error: string | null;
                                mqttUsername: string | null;
                                mqttPassword: string | null;
                            }[];
                            created: number;
                            failed: number;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/users": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: {
                    q?: string;
                    role?: "customer" | "viewer" | "support" | "admin" | "operator";
                    after?: string;
                    limit?: number;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            users: {
                                id: string;
                                email: string;
                                name: string;
                                phone: string | null;
                                role: string;
                                meters: string[];
                                createdAt: string;
                                disabled: boolean;
                            }[];
                            next: string | null;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/alerts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: {
                    open?: "true" | "false";
                    meterNo?: string;
                    kind?: "low_balance" | "zero_balance" | "balance_mismatch" | "connection_lost" | "payment_mismatch" | "tamper_relay" | "power_over_rated" | "command_expired" | "predicted_low" | "register_anomaly";
                    limit?: number;
                    before?: number;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            alerts: {
                                id: number;
                                meterNo: string;
                                kind: string;
                                severity: string;
                                message: string;
                                openedAt: string;
                                closedAt: string | null;
                                acknowledgedBy: string | null;
                                acknowledgedAt: string | null;
                            }[];
                            next: number | null;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/alerts/{id}/ack": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: number;
                            meterNo: string;
                            kind: string;
                            severity: string;
                            message: string;
                            openedAt: string;
                            closedAt: string | null;
                            acknowledgedBy: string | null;
                            acknowledgedAt: string | null;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/audit": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: {
                    target?: string;
                    actor?: string;
                    action?: string;
                    limit?: number;
                    before?: number;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            entries: {
                                id: number;
                                actorId: string | null;
                                actorKind: string;
                                action: string;
                                target: string | null;
                                details: unknown;
                                at: string;
                                actorEmail: string | null;
                            }[];
                            next: number | null;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/meters/{meterNo}/relay": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    meterNo: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @enum {string} */
                        action: "connect" | "disconnect" | "auto";
                        reason: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            meterNo: string;
                            kind: string;
                            payload: {
                                [key: string]: unknown;
                            };
                            status: string;
                            reason: string;
                            createdBy: string | null;
                            attempts: number;
                            createdAt: string;
                            sentAt: string | null;
                            acknowledgedAt: string | null;
                            expiresAt: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/meters/{meterNo}/config": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    meterNo: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        publishIntervalS: number;
                        lowBalanceKwh: number;
                        emergencyCreditKwh: number;
                        maxLoadW?: number | null;
                        reason: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            meterNo: string;
                            kind: string;
                            payload: {
                                [key: string]: unknown;
                            };
                            status: string;
                            reason: string;
                            createdBy: string | null;
                            attempts: number;
                            createdAt: string;
                            sentAt: string | null;
                            acknowledgedAt: string | null;
                            expiresAt: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/meters/{meterNo}/adjustments": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    meterNo: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        energyKwh: number;
                        reason: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            meterNo: string;
                            transactionId: string;
                            energyKwh: number;
                            creditLimitKwh: number;
                            balanceKwh: number;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/transactions/{id}/move": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        toMeterNo: string;
                        reason: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            from: {
                                meterNo: string;
                                transactionId: string;
                                energyKwh: number;
                                creditLimitKwh: number;
                                balanceKwh: number;
                            };
                            to: {
                                meterNo: string;
                                transactionId: string;
                                energyKwh: number;
                                creditLimitKwh: number;
                                balanceKwh: number;
                            };
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/meters/{meterNo}/emergency": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    meterNo: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        reason?: string;
                    } | null;
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            meterNo: string;
                            transactionId: string;
                            energyKwh: number;
                            creditLimitKwh: number;
                            balanceKwh: number;
                            debtCents: number;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/register-holds": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: {
                    status?: "held" | "all";
                    meterNo?: string;
                    limit?: number;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            holds: {
                                id: number;
                                meterNo: string;
                                /** @enum {string} */
                                status: "held" | "accepted" | "rebased" | "dismissed";
                                /** @enum {string} */
                                reportKind: "v2" | "legacy";
                                baseEnergyMwh: number;
                                appliedEnergyMwh: number;
                                heldFromMwh: number;
                                heldEnergyMwh: number;
                                allowedMwh: number;
                                elapsedMs: number;
                                ratedPowerW: number;
                                reports: number;
                                firstReceivedAt: string;
                                lastReceivedAt: string;
                                backOnRegister: boolean;
                                actions: ("accept" | "reset_epoch" | "dismiss")[];
                                openedAt: string;
                                resolvedAt: string | null;
                                resolvedBy: string | null;
                                reason: string | null;
                                debitedMwh: number | null;
                                rebasedMwh: number | null;
                            }[];
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/register-holds/{id}/accept": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        reason: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            hold: {
                                id: number;
                                meterNo: string;
                                /** @enum {string} */
                                status: "held" | "accepted" | "rebased" | "dismissed";
                                /** @enum {string} */
                                reportKind: "v2" | "legacy";
                                baseEnergyMwh: number;
                                appliedEnergyMwh: number;
                                heldFromMwh: number;
                                heldEnergyMwh: number;
                                allowedMwh: number;
                                elapsedMs: number;
                                ratedPowerW: number;
                                reports: number;
                                firstReceivedAt: string;
                                lastReceivedAt: string;
                                backOnRegister: boolean;
                                actions: ("accept" | "reset_epoch" | "dismiss")[];
                                openedAt: string;
                                resolvedAt: string | null;
                                resolvedBy: string | null;
                                reason: string | null;
                                debitedMwh: number | null;
                                rebasedMwh: number | null;
                            };
                            meter: {
                                meterNo: string;
                                e0Mwh: number;
                                energyTotalMwh: number;
                                creditLimitMwh: number;
                                balanceMwh: number;
                            };
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/register-holds/{id}/reset-epoch": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        reason: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            hold: {
                                id: number;
                                meterNo: string;
                                /** @enum {string} */
                                status: "held" | "accepted" | "rebased" | "dismissed";
                                /** @enum {string} */
                                reportKind: "v2" | "legacy";
                                baseEnergyMwh: number;
                                appliedEnergyMwh: number;
                                heldFromMwh: number;
                                heldEnergyMwh: number;
                                allowedMwh: number;
                                elapsedMs: number;
                                ratedPowerW: number;
                                reports: number;
                                firstReceivedAt: string;
                                lastReceivedAt: string;
                                backOnRegister: boolean;
                                actions: ("accept" | "reset_epoch" | "dismiss")[];
                                openedAt: string;
                                resolvedAt: string | null;
                                resolvedBy: string | null;
                                reason: string | null;
                                debitedMwh: number | null;
                                rebasedMwh: number | null;
                            };
                            meter: {
                                meterNo: string;
                                e0Mwh: number;
                                energyTotalMwh: number;
                                creditLimitMwh: number;
                                balanceMwh: number;
                            };
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/register-holds/{id}/dismiss": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        reason: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            hold: {
                                id: number;
                                meterNo: string;
                                /** @enum {string} */
                                status: "held" | "accepted" | "rebased" | "dismissed";
                                /** @enum {string} */
                                reportKind: "v2" | "legacy";
                                baseEnergyMwh: number;
                                appliedEnergyMwh: number;
                                heldFromMwh: number;
                                heldEnergyMwh: number;
                                allowedMwh: number;
                                elapsedMs: number;
                                ratedPowerW: number;
                                reports: number;
                                firstReceivedAt: string;
                                lastReceivedAt: string;
                                backOnRegister: boolean;
                                actions: ("accept" | "reset_epoch" | "dismiss")[];
                                openedAt: string;
                                resolvedAt: string | null;
                                resolvedBy: string | null;
                                reason: string | null;
                                debitedMwh: number | null;
                                rebasedMwh: number | null;
                            };
                            meter: {
                                meterNo: string;
                                e0Mwh: number;
                                energyTotalMwh: number;
                                creditLimitMwh: number;
                                balanceMwh: number;
                            };
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/reports/daily": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query: {
                    from: string;
                    to: string;
                    format?: "json" | "csv";
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {string} */
                            unit: "day" | "month";
                            from: string;
                            to: string;
                            rows: {
                                period: string;
                                moneyCents: number;
                                moneyByChannelCents: {
                                    [key: string]: number;
                                };
                                ledgerAmountCents: number;
                                soldMwh: number;
                                soldKwh: number;
                                consumedMwh: number;
                                consumedKwh: number;
                                adjustmentMwh: number;
                                emergencyMwh: number;
                                activeMeters: number;
                                revenuePerMeterCents: number;
                            }[];
                            totals: {
                                moneyCents: number;
                                moneyByChannelCents: {
                                    [key: string]: number;
                                };
                                ledgerAmountCents: number;
                                soldMwh: number;
                                soldKwh: number;
                                consumedMwh: number;
                                consumedKwh: number;
                                adjustmentMwh: number;
                                emergencyMwh: number;
                                activeMeters: number;
                                revenuePerMeterCents: number;
                            };
                        } | string;
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/reports/monthly": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query: {
                    from: string;
                    to: string;
                    format?: "json" | "csv";
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {string} */
                            unit: "day" | "month";
                            from: string;
                            to: string;
                            rows: {
                                period: string;
                                moneyCents: number;
                                moneyByChannelCents: {
                                    [key: string]: number;
                                };
                                ledgerAmountCents: number;
                                soldMwh: number;
                                soldKwh: number;
                                consumedMwh: number;
                                consumedKwh: number;
                                adjustmentMwh: number;
                                emergencyMwh: number;
                                activeMeters: number;
                                revenuePerMeterCents: number;
                            }[];
                            totals: {
                                moneyCents: number;
                                moneyByChannelCents: {
                                    [key: string]: number;
                                };
                                ledgerAmountCents: number;
                                soldMwh: number;
                                soldKwh: number;
                                consumedMwh: number;
                                consumedKwh: number;
                                adjustmentMwh: number;
                                emergencyMwh: number;
                                activeMeters: number;
                                revenuePerMeterCents: number;
                            };
                        } | string;
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/statements/{userId}/{month}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: {
                    format?: "json" | "csv" | "html";
                    lang?: "en" | "sw";
                };
                header?: never;
                path: {
                    userId: string;
                    month: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            userId: string;
                            name: string;
                            email: string;
                            period: string;
                            meters: {
                                meterNo: string;
                                paidCents: number;
                                boughtMwh: number;
                                consumedMwh: number;
                                adjustmentMwh: number;
                                debtCents: number;
                                balanceKwh: number;
                            }[];
                            transactions: {
                                id: string;
                                meterNo: string;
                                type: string;
                                source: string;
                                status: string;
                                amountCents: number;
                                energyKwh: number;
                                recoveredDebtCents: number;
                                at: string;
                            }[];
                            totals: {
                                paidCents: number;
                                boughtKwh: number;
                                consumedKwh: number;
                            };
                            url: string;
                        } | string;
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/statements/{month}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: {
                    format?: "json" | "csv" | "html";
                    lang?: "en" | "sw";
                };
                header?: never;
                path: {
                    month: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            userId: string;
                            name: string;
                            email: string;
                            period: string;
                            meters: {
                                meterNo: string;
                                paidCents: number;
                                boughtMwh: number;
                                consumedMwh: number;
                                adjustmentMwh: number;
                                debtCents: number;
                                balanceKwh: number;
                            }[];
                            transactions: {
                                id: string;
                                meterNo: string;
                                type: string;
                                source: string;
                                status: string;
                                amountCents: number;
                                energyKwh: number;
                                recoveredDebtCents: number;
                                at: string;
                            }[];
                            totals: {
                                paidCents: number;
                                boughtKwh: number;
                                consumedKwh: number;
                            };
                            url: string;
                        } | string;
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/friendly-hours": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schedule: {
                                enabled: boolean;
                                nightStart: string;
                                nightEnd: string;
                                sundays: boolean;
                                holidays: string[];
                                utcOffsetMinutes: number;
                            };
                            now: {
                                active: boolean;
                                until: string | null;
                                untilLocalTime: string | null;
                            };
                            updatedAt: string | null;
                        };
                    };
                };
            };
        };
        put: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        enabled: boolean;
                        nightStart: string;
                        nightEnd: string;
                        sundays: boolean;
                        holidays: string[];
                        utcOffsetMinutes: number;
                        reason: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schedule: {
                                enabled: boolean;
                                nightStart: string;
                                nightEnd: string;
                                sundays: boolean;
                                holidays: string[];
                                utcOffsetMinutes: number;
                            };
                            now: {
                                active: boolean;
                                until: string | null;
                                untilLocalTime: string | null;
                            };
                            updatedAt: string | null;
                        };
                    };
                };
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/tariff": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: {
                    group?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            inForce: {
                                id: number | null;
                                name: string;
                                group: string;
                                tariff: {
                                    blocks: {
                                        upToKwh: number | null;
                                        energyRateCentsPerKwh: number;
                                        label?: string;
                                    }[];
                                    passThroughCentsPerKwh?: {
                                        code: string;
                                        label: string;
                                        centsPerKwh: number;
                                    }[];
                                    levies?: ({
                                        code: string;
                                        label: string;
                                        basisPoints: number;
                                        base: string[];
                                    } | {
                                        code: string;
                                        label: string;
                                        centsPerKwh: number;
                                    })[];
                                    vat?: {
                                        basisPoints: number;
                                        appliesTo: string[];
                                        label?: string;
                                    };
                                    standingChargeCents?: number;
                                };
                                effectiveFrom: string;
                                /** @enum {string} */
                                status: "in_force" | "scheduled" | "past" | "cancelled";
                                createdAt: string | null;
                                cancelledAt: string | null;
                            };
                            next: {
                                id: number | null;
                                name: string;
                                group: string;
                                tariff: {
                                    blocks: {
                                        upToKwh: number | null;
                                        energyRateCentsPerKwh: number;
                                        label?: string;
                                    }[];
                                    passThroughCentsPerKwh?: {
                                        code: string;
                                        label: string;
                                        centsPerKwh: number;
                                    }[];
                                    levies?: ({
                                        code: string;
                                        label: string;
                                        basisPoints: number;
                                        base: string[];
                                    } | {
                                        code: string;
                                        label: string;
                                        centsPerKwh: number;
                                    })[];
                                    vat?: {
                                        basisPoints: number;
                                        appliesTo: string[];
                                        label?: string;
                                    };
                                    standingChargeCents?: number;
                                };
                                effectiveFrom: string;
                                /** @enum {string} */
                                status: "in_force" | "scheduled" | "past" | "cancelled";
                                createdAt: string | null;
                                cancelledAt: string | null;
                            } | null;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/tariff/quote": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query: {
                    amountKes: number;
                    group?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            tariffId: string;
                            tariffName: string;
                            amountCents: number;
                            energyMwh: number;
                            lines: {
                                kind: string;
                                code: string;
                                label: string;
                                amountCents: number;
                                energyMwh?: number;
                            }[];
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/tariffs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            versions: {
                                id: number | null;
                                name: string;
                                group: string;
                                tariff: {
                                    blocks: {
                                        upToKwh: number | null;
                                        energyRateCentsPerKwh: number;
                                        label?: string;
                                    }[];
                                    passThroughCentsPerKwh?: {
                                        code: string;
                                        label: string;
                                        centsPerKwh: number;
                                    }[];
                                    levies?: ({
                                        code: string;
                                        label: string;
                                        basisPoints: number;
                                        base: string[];
                                    } | {
                                        code: string;
                                        label: string;
                                        centsPerKwh: number;
                                    })[];
                                    vat?: {
                                        basisPoints: number;
                                        appliesTo: string[];
                                        label?: string;
                                    };
                                    standingChargeCents?: number;
                                };
                                effectiveFrom: string;
                                /** @enum {string} */
                                status: "in_force" | "scheduled" | "past" | "cancelled";
                                createdBy: string | null;
                                createdAt: string | null;
                                cancelledAt: string | null;
                            }[];
                            fallback: {
                                id: number | null;
                                name: string;
                                group: string;
                                tariff: {
                                    blocks: {
                                        upToKwh: number | null;
                                        energyRateCentsPerKwh: number;
                                        label?: string;
                                    }[];
                                    passThroughCentsPerKwh?: {
                                        code: string;
                                        label: string;
                                        centsPerKwh: number;
                                    }[];
                                    levies?: ({
                                        code: string;
                                        label: string;
                                        basisPoints: number;
                                        base: string[];
                                    } | {
                                        code: string;
                                        label: string;
                                        centsPerKwh: number;
                                    })[];
                                    vat?: {
                                        basisPoints: number;
                                        appliesTo: string[];
                                        label?: string;
                                    };
                                    standingChargeCents?: number;
                                };
                                effectiveFrom: string;
                                /** @enum {string} */
                                status: "in_force" | "scheduled" | "past" | "cancelled";
                                createdBy: string | null;
                                createdAt: string | null;
                                cancelledAt: string | null;
                            };
                        };
                    };
                };
            };
        };
        put?: never;
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name: string;
                        /** Format: date-time */
                        effectiveFrom?: string;
                        tariff: {
                            blocks: {
                                upToKwh: number | null;
                                energyRateCentsPerKwh: number;
                                label?: string;
                            }[];
                            passThroughCentsPerKwh?: {
                                code: string;
                                label: string;
                                centsPerKwh: number;
                            }[];
                            levies?: ({
                                code: string;
                                label: string;
                                basisPoints: number;
                                base: string[];
                            } | {
                                code: string;
                                label: string;
                                centsPerKwh: number;
                            })[];
                            vat?: {
                                basisPoints: number;
                                appliesTo: string[];
                                label?: string;
                            };
                            standingChargeCents?: number;
                        };
                        /** @default standard */
                        group?: string;
                        reason?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            version: {
                                id: number | null;
                                name: string;
                                group: string;
                                tariff: {
                                    blocks: {
                                        upToKwh: number | null;
                                        energyRateCentsPerKwh: number;
                                        label?: string;
                                    }[];
                                    passThroughCentsPerKwh?: {
                                        code: string;
                                        label: string;
                                        centsPerKwh: number;
                                    }[];
                                    levies?: ({
                                        code: string;
                                        label: string;
                                        basisPoints: number;
                                        base: string[];
                                    } | {
                                        code: string;
                                        label: string;
                                        centsPerKwh: number;
                                    })[];
                                    vat?: {
                                        basisPoints: number;
                                        appliesTo: string[];
                                        label?: string;
                                    };
                                    standingChargeCents?: number;
                                };
                                effectiveFrom: string;
                                /** @enum {string} */
                                status: "in_force" | "scheduled" | "past" | "cancelled";
                                createdBy: string | null;
                                createdAt: string | null;
                                cancelledAt: string | null;
                            };
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/tariffs/{id}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        reason: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            version: {
                                id: number | null;
                                name: string;
                                group: string;
                                tariff: {
                                    blocks: {
                                        upToKwh: number | null;
                                        energyRateCentsPerKwh: number;
                                        label?: string;
                                    }[];
                                    passThroughCentsPerKwh?: {
                                        code: string;
                                        label: string;
                                        centsPerKwh: number;
                                    }[];
                                    levies?: ({
                                        code: string;
                                        label: string;
                                        basisPoints: number;
                                        base: string[];
                                    } | {
                                        code: string;
                                        label: string;
                                        centsPerKwh: number;
                                    })[];
                                    vat?: {
                                        basisPoints: number;
                                        appliesTo: string[];
                                        label?: string;
                                    };
                                    standingChargeCents?: number;
                                };
                                effectiveFrom: string;
                                /** @enum {string} */
                                status: "in_force" | "scheduled" | "past" | "cancelled";
                                createdBy: string | null;
                                createdAt: string | null;
                                cancelledAt: string | null;
                            };
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/tariff-groups": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            groups: {
                                group: string;
                                meters: number;
                                inForce: {
                                    id: number | null;
                                    name: string;
                                    group: string;
                                };
                            }[];
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/tariff-groups/{group}/meters": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        meterNos: string[];
                        reason: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            group: string;
                            moved: number;
                            notFound: string[];
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/africastalking/ussd/{token}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    token: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        sessionId: string;
                        serviceCode: string;
                        phoneNumber: string;
                        networkCode?: string;
                        /** @default  */
                        text?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": string;
                    };
                };
                /** @description Default Response */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: string;
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: string;
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: string;
                            message: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/africastalking/delivery/{token}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    token: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        id: string;
                        /** @enum {string} */
                        status: "Sent" | "Submitted" | "Buffered" | "Rejected" | "Success" | "Failed" | "AbsentSubscriber";
                        phoneNumber: string;
                        networkCode?: string;
                        failureReason?: string;
                        retryCount?: number;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {boolean} */
                            ok: true;
                        };
                    };
                };
                /** @description Default Response */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: string;
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: string;
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: string;
                            message: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/sms": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: {
                    limit?: number;
                    meterNo?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {string} */
                            gateway: "africastalking" | "emulator" | "off";
                            messages: {
                                id: string;
                                createdAt: string;
                                sentAt: string | null;
                                deliveredAt: string | null;
                                meterNo: string | null;
                                phone: string;
                                kind: string;
                                /** @enum {string} */
                                lang: "en" | "sw";
                                body: string;
                                parts: number;
                                /** @enum {string} */
                                status: "queued" | "sending" | "sent" | "delivered" | "failed" | "unknown" | "cancelled";
                                attempts: number;
                                deliveryStatus: string | null;
                                failureReason: string | null;
                                lastError: string | null;
                                costTenThousandths: number | null;
                            }[];
                            months: {
                                month: string;
                                messages: number;
                                parts: number;
                                costTenThousandths: number;
                            }[];
                            counts: {
                                [key: string]: number;
                            };
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/me/sms": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {string} */
                            lang: "en" | "sw";
                            optOut: boolean;
                        };
                    };
                };
            };
        };
        put: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @enum {string} */
                        lang: "en" | "sw";
                        optOut: boolean;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {string} */
                            lang: "en" | "sw";
                            optOut: boolean;
                        };
                    };
                };
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/config": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {string} */
                            mode: "demo" | "staging" | "production" | "development";
                            demo: boolean;
                            paymentsEmulator: boolean;
                            virtualPhoneUrl: string | null;
                            smsPhoneUrl: string | null;
                            friendlyHours: {
                                active: boolean;
                                until: string | null;
                                untilLocalTime: string | null;
                            };
                            stkMaxKes: number | null;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: never;
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export type operations = Record<string, never>;
